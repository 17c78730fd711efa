-- PostgreSQL checks a process instance's reference to its record at commit from here on (a
-- submission writes its record last there). SQLite writes the record first, under its one
-- writer: nothing changes here.
SELECT 1;
