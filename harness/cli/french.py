"""French text of the command line: argparse's own messages and the help of every option.

Keys are the English text (as gettext's msgids); tests/cli/test_terminal.py checks that every help
text of the parser has its French here.
"""

from __future__ import annotations

ARGPARSE = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments positionnels",
    "options": "options",
    "optional arguments": "options",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (valeurs possibles : %(choices)s)",
    "expected one argument": "un argument est attendu",
    "expected at least one argument": "au moins un argument est attendu",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : %(value)r",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "show this help message and exit": "affiche cette aide et quitte",
    "show program's version number and exit": "affiche la version et quitte",
}

HELP = {
    "run each candidate as a task on a Dask cluster: tcp://host:8786 or local[:N] (docs/cluster.md)":
        "exécute chaque candidat comme une tâche d'un cluster Dask : tcp://hôte:8786 ou local[:N] (docs/cluster.md)",
    "judge on a Dask cluster: a scheduler address (tcp://host:8786) or local[:N] (docs/cluster.md)":
        "juge sur un cluster Dask : l'adresse d'un ordonnanceur (tcp://hôte:8786) ou local[:N] (docs/cluster.md)",
    "with --cluster: send the documents from here even if the workers could read them":
        "avec --cluster : envoie les documents d'ici même si les workers pouvaient les lire",
    "folder the target file's document paths may point into, besides the target file's own (repeatable)":
        "dossier où les chemins de documents du fichier cible peuvent mener, en plus du sien (répétable)",
    "re-issue the CRL of every CA of the test PKI in DIR (with the keys in DIR/private)":
        "réémet la LCR de chaque AC de la PKI de test de DIR (avec les clés de DIR/private)",
    "validity of the new CRLs in days (default: 7)": "validité des nouvelles LCR en jours (défaut : 7)",
    "a CDA volet's version when the document cannot say it (e.g. CR-BIO=2024.01; repeatable)":
        "version d'un volet CDA quand le document ne peut pas la dire (p. ex. CR-BIO=2024.01 ; répétable)",
    "CA certificates (PEM) that may sign VIHF assertions and DSG signatures (default: signers are not judged)":
        "certificats d'AC (PEM) qui peuvent signer les VIHF et les signatures DSG (par défaut : signataires non jugés)",
    "Conformance test harness for French regional digital health environments (CI-SIS, PGSSI-S).":
        "Banc de test de conformité pour les environnements régionaux de santé numérique (CI-SIS, PGSSI-S).",
    "run a conformance campaign over many candidates": "exécute une campagne de conformité sur plusieurs candidats",
    "make an issuer key; verify a signed certificate": "crée une clé d'émetteur ; vérifie un certificat signé",
    "test health PKI for lab-mode endpoint tests": "IGC de test pour les tests de points d'accès en laboratoire",
    "list and show profile packs": "liste et affiche les packs de profils",
    "run the conformance suites and write a report and a certificate":
        "exécute les suites de conformité et écrit un rapport et un certificat",
    "run the reference ENRS simulator (MLLP, MLLP/TLS, HTTPS with mutual TLS) on loopback":
        "lance le simulateur ENRS de référence (MLLP, MLLP/TLS, HTTPS avec TLS mutuel) en local",
    "validate artefacts: CDA documents, HL7 v2 messages, XDS.b captures, XDM packages, MSSanté e-mails (files or folders)":
        "valide des artefacts : documents CDA, messages HL7 v2, captures XDS.b, paquets XDM, e-mails MSSanté (fichiers ou dossiers)",
    "run every candidate of a campaign file (docs/campaigns.md)": "exécute chaque candidat d'un fichier de campagne (docs/campaigns.md)",
    "candidates run at the same time (default: the file's, else min(4, CPUs))":
        "candidats exécutés en même temps (par défaut : celui du fichier, sinon min(4, processeurs))",
    "folder of the campaign's runs (default: the file's, else reports/campaigns/<id>)":
        "dossier des exécutions de la campagne (par défaut : celui du fichier, sinon reports/campaigns/<id>)",
    "write a new issuer key and self-signed certificate into DIR":
        "écrit dans DIR une nouvelle clé d'émetteur et son certificat auto-signé",
    "verify a signed certificate.html offline": "vérifie hors ligne un certificate.html signé",
    "common name (CN) of the issuer": "nom commun (CN) de l'émetteur",
    "organisation (O) of the issuer": "organisation (O) de l'émetteur",
    "validity of the issuer certificate in days (default 1095)": "validité du certificat de l'émetteur en jours (défaut 1095)",
    "RSA 3072 (RS256, default), EC P-256 (ES256) or Ed25519 (EdDSA)": "RSA 3072 (RS256, par défaut), EC P-256 (ES256) ou Ed25519 (EdDSA)",
    "replace an existing issuer in DIR": "remplace un émetteur déjà présent dans DIR",
    "trusted issuer or CA certificate, PEM (repeatable)": "certificat d'émetteur ou d'AC de confiance, PEM (répétable)",
    "files or folders that must hash to artefacts the certificate lists":
        "fichiers ou dossiers dont les empreintes doivent être celles des artefacts du certificat",
    "build a test PKI in DIR and write DIR/manifest.json": "construit une IGC de test dans DIR et écrit DIR/manifest.json",
    "server host name or IP in the server certificates (repeatable; default: localhost, 127.0.0.1)":
        "nom d'hôte ou IP des certificats serveur (répétable ; défaut : localhost, 127.0.0.1)",
    "replace a test PKI already in DIR": "remplace une IGC de test déjà présente dans DIR",
    "list the loaded profile packs": "liste les packs de profils chargés",
    "show the requirements of one pack": "affiche les exigences d'un pack",
    "what evaluates each requirement (a rule, a declarative check, a suite test) or why nothing does; exit 1 on a requirement with neither":
        "ce qui évalue chaque exigence (règle, contrôle déclaratif, test de suite) ou pourquoi rien ne le fait ; code 1 pour une "
        "exigence sans l'un ni l'autre",
    "extra folder of profile packs (repeatable)": "dossier supplémentaire de packs de profils (répétable)",
    "profile pack to evaluate (repeatable; default: all but opt-in packs)":
        "pack de profils à évaluer (répétable ; défaut : tous sauf les packs optionnels)",
    "target file of the candidate system (default: the embedded reference)":
        "fichier cible du système candidat (défaut : la référence embarquée)",
    "documents and messages to validate (repeatable)": "documents et messages à valider (répétable)",
    "folder laid out like the agency's CDA test kit: documents are also validated with it":
        "dossier organisé comme le kit de test CDA de l'Agence : les documents sont aussi validés avec lui",
    "extra folders of pytest conformance suites (repeatable)": "dossiers supplémentaires de suites de conformité pytest (répétable)",
    "where run folders are written (default: ./reports)": "où écrire les dossiers d'exécution (défaut : ./reports)",
    "sign the certificate with the issuer of DIR (see 'certificate keygen')":
        "signe le certificat avec l'émetteur de DIR (voir « certificate keygen »)",
    "waivers file: valid waivers turn FAILED requirements into WAIVED":
        "fichier de dérogations : une dérogation valide fait passer une exigence FAILED en WAIVED",
    "language of the certificate and summary": "langue du certificat et de la synthèse",
    "language of the messages": "langue des messages",
    "no test progress, only the summary": "sans la progression des tests, seulement la synthèse",
    "also print pytest's failures and tracebacks": "affiche aussi les échecs et les traces de pytest",
    "print everything pytest prints (full tracebacks, captured output)":
        "affiche tout ce qu'affiche pytest (traces complètes, sorties capturées)",
    "fault modes to switch on (see --list-faults)": "modes de défaillance à activer (voir --list-faults)",
    "list the fault modes and exit": "liste les modes de défaillance et quitte",
    "test PKI folder to use (built there when empty; default: a temporary one)":
        "dossier de l'IGC de test (construite s'il est vide ; défaut : un dossier temporaire)",
    "where to write the target file of the simulator (default: ./enrs-simulator.toml)":
        "où écrire le fichier cible du simulateur (défaut : ./enrs-simulator.toml)",
    "stop after this many seconds (default: until Ctrl-C)": "s'arrête après ce nombre de secondes (défaut : jusqu'à Ctrl-C)",
    "profile pack to apply (repeatable; default: all but opt-in packs)":
        "pack de profils à appliquer (répétable ; défaut : tous sauf les packs optionnels)",
    "folder laid out like the agency's CDA test kit (XSD and schematrons)":
        "dossier organisé comme le kit de test CDA de l'Agence (XSD et schématrons)",
    "parallel worker processes (default 1)": "processus de travail en parallèle (défaut 1)",
    "text: one block per file as it is judged; json: one document at the end; jsonl: one JSON line per file as it is judged":
        "text : un bloc par fichier dès qu'il est jugé ; json : un seul document à la fin ; "
        "jsonl : une ligne JSON par fichier dès qu'il est jugé",
}
