"""What the user configures: profile packs, the target file, and the schemas every configuration file is checked against."""
