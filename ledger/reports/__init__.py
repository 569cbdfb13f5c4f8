"""Reports for finance staff: statements (XLSX, CSV, JSON), reconciliation, charts, monitoring and
budget projections. Labels the staff read are Dutch."""
