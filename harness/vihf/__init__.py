"""The VIHF (Vecteur d'Identification et d'Habilitation Formelle): the SAML 2.0 assertion a DMP or regional
repository client carries in the WS-Security header. build: make and sign one; check: judge one (pack ci-sis-vihf)."""
