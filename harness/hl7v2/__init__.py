"""HL7 v2 for the harness: a lean tokenizer, message profiles compiled from profile packs, the
French rules (PAM FR, CDA transmission over HL7 v2) and acknowledgements.

Messages are never parsed with hl7apy: it only lends the standard's definitions (structures,
fields, data types) to build the compiled profiles. See docs/hl7v2.md.
"""

from harness.hl7v2.message import Delimiters, Message, Segment, location
from harness.hl7v2.tokenizer import ParseError, parse

__all__ = ["Delimiters", "Message", "ParseError", "Segment", "location", "parse"]
