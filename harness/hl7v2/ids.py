"""Requirement ids of the `hl7v2-base` pack (profiles/hl7v2-base.toml) that the code evaluates."""

SYNTAX = "HL7V2-SYN-01"        # MSH first, valid delimiters
TERMINATOR = "HL7V2-SYN-02"    # segments end with CR
SEGMENT_ID = "HL7V2-SYN-03"    # well-formed segment ids, one message per file
MLLP = "HL7V2-SYN-04"          # complete MLLP frame
ESCAPE = "HL7V2-SYN-05"        # defined escape sequences only
CHARSET = "HL7V2-ENC-01"       # MSH-18 supported and matching the bytes
VERSION = "HL7V2-VER-01"       # MSH-12 among supported versions
PROFILE = "HL7V2-PRF-01"       # the profile and version MSH-21 declares are supported (else judged on the base standard only)
MESSAGE_TYPE = "HL7V2-MSG-01"  # MSH-9 known to the profile, structure consistent with the trigger
ORDER = "HL7V2-STR-01"         # segment order and groups
SEGMENT_USAGE = "HL7V2-STR-02"  # segment usage and cardinality
FIELD_USAGE = "HL7V2-FLD-01"   # field/component usage R/X
REPETITION = "HL7V2-FLD-02"    # repetitions within the field's cardinality
LENGTH = "HL7V2-FLD-03"        # maximum length
DATATYPE = "HL7V2-DT-01"       # data type format and number of components
VALUESET = "HL7V2-VS-01"       # coded values in the bound value set
ACK_CODE = "HL7V2-ACK-01"      # MSA-1 is the right acknowledgement code
ACK_ECHO = "HL7V2-ACK-02"      # MSA-2 echoes MSH-10
ACK_ERR = "HL7V2-ACK-03"       # ERR with location and code on AE/AR
ACK_HEADER = "HL7V2-ACK-04"    # ACK header derived from the message (MSH-3..6 swapped, version, MSH-9)
