"""Reports read from the records: the Word 台账 and the annual report."""
