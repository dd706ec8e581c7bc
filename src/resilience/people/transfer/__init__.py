"""Import and export of the community registry: CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX, GeoJSON.

``importing.import_file`` and ``exporting.build_table``/``write_table`` are the services; the CLI
(``run_import``, ``run_export``) and the web views are thin wrappers over them.
"""
