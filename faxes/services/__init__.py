"""What the portal does with faxes, one module per capability (HackSoft's services)."""
