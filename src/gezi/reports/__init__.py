"""Document renderers (XLSX, DOCX, PDF) over module read models."""
