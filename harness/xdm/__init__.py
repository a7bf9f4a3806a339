"""IHE XDM packages (ITI-32): zip safety (zipsafe), layout and documents (package)."""
