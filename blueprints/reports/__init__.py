"""Reports: files made by RQ jobs (CSV, XLSX, PDF), kept until they expire, and schedules that mail them."""
