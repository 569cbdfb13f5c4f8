"""Disputes between municipalities and regions: workflow, documents, decisions and case files."""
