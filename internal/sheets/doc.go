// Package sheets is the file layer of contact import and export: it reads the
// spreadsheets people upload (CSV in the dialects Excel and other tools
// really produce, and XLSX) as a stream of rows with bounded memory, maps
// their header to the contract's field names, and writes exports that open
// correctly in Brazilian Excel without formula injection.
//
// It knows nothing of storage: an import job opens a Reader on the uploaded
// object, maps its header with MapHeader, turns each row into field values
// with Mapping.Apply and hands them to the contact domain; an export job
// writes rows through a Writer.
//
// Decisions, documented where they are made:
//   - CSV is read in the dialects people produce: ';' or ',' or tab,
//     sniffed from the header line; UTF-8 (with or without a BOM),
//     Windows-1252 (Excel's "CSV (separado por vírgulas)" on Brazilian
//     Windows) or UTF-16 with a BOM (Excel's "Texto Unicode").
//   - XLSX cells come back as stored, not as displayed: numbers as typed
//     (5511999991234, not 5,51E+12), text as text (leading zeros kept),
//     dates as YYYY-MM-DD whatever their display format.
//   - Exported CSV is UTF-8 with a BOM and ';' (CSVDelimiter), for
//     Brazilian Excel; every export cell starting with = + - @ tab or CR is
//     neutralised against formula injection (Writer, Neutralize), and
//     Mapping.Apply undoes it so an export imports back unchanged.
//
// What a file may cost is bounded (Limits, and the constants beside them):
// a CSV record's bytes and fields are counted before encoding/csv reads it
// (recordGuard), and every XML part of a workbook is read once before
// excelize opens it, bounding what excelize would build from it (checkZip,
// checkPart). docs/architecture.md lists the bounds and what they cost.
//
// Every failure caused by the file itself is an *errs.Error with a stable
// code (file_too_large, too_many_rows, file_not_xlsx, ...), so a job can fail
// with a reason a person understands. Other errors (I/O on the underlying
// reader or writer) are returned as they are.
package sheets
