"""What happened at an occurrence: attendance, evidence files, material and summary."""
