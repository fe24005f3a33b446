package sheets

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/omnichannel/contacts/internal/errs"
)

// withParts returns workbook with the parts given replaced or added.
func withParts(t testing.TB, workbook []byte, parts map[string]string) []byte {
	t.Helper()
	var out []zipEntry
	for _, p := range unzip(t, workbook) {
		if d, ok := parts[p.name]; ok {
			p.data = []byte(d)
			delete(parts, p.name)
		}
		out = append(out, p)
	}
	for name, d := range parts {
		out = append(out, zipEntry{name, []byte(d)})
	}
	return buildZip(t, out...)
}

const (
	xmlHead   = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`
	mainNS    = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	headerRow = `<row r="1"><c r="A1" t="inlineStr"><is><t>Nome</t></is></c><c r="B1" t="inlineStr"><is><t>Telefone</t></is></c></row>`
)

func sheetOf(rows string) string {
	return xmlHead + `<worksheet ` + mainNS + `><sheetData>` + headerRow + rows + `</sheetData></worksheet>`
}

func stringsOf(entries string) string {
	return xmlHead + `<sst ` + mainNS + `>` + entries + `</sst>`
}

const sheetPath, stringsPath, stylesPath = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"

// TestXLSXBombs: workbooks of a few kilobytes that excelize would turn into
// hundreds of megabytes or gigabytes of heap (measured before the checks:
// styles 3.6 GiB, a shared strings table of 16 MiB 317 MiB, 30 million
// empty cells in a row 1.4 GiB, 2,000 cells referring to one 300 KB shared
// string 792 MiB) fail before excelize reads them, with a bounded heap.
func TestXLSXBombs(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	for _, tc := range []struct {
		name  string
		parts map[string]string
		code  string
		line  string
	}{
		{"styles of a million elements", map[string]string{stylesPath: xmlHead + `<styleSheet ` + mainNS + `><cellXfs>` +
			strings.Repeat("<xf/>", maxParsedElements) + `</cellXfs></styleSheet>`}, "workbook_too_complex", ""},
		{"more shared strings than the limit", map[string]string{stringsPath: stringsOf(strings.Repeat("<si/>", maxSharedStrings+1))},
			"too_many_shared_strings", ""},
		{"a shared string over the record limit", map[string]string{stringsPath: stringsOf("<si>" + strings.Repeat("<r><t>"+big+"</t></r>", 8) + "</si>")},
			"shared_string_too_long", ""},
		{"30 million empty cells in a row", map[string]string{sheetPath: sheetOf(`<row r="2">` + strings.Repeat("<c/>", 30<<20) + `</row>`)},
			"too_many_fields", "2"},
		{"cells referring to a large shared string", map[string]string{stringsPath: stringsOf("<si><t>" + big + "</t></si>"),
			sheetPath: sheetOf(`<row r="2">` + strings.Repeat(`<c t="s"><v>0</v></c>`, 2000) + `</row>`)}, "record_too_large", "2"},
		{"rows excelize reads as one", map[string]string{stringsPath: stringsOf("<si><t>" + big + "</t></si>"),
			sheetPath: sheetOf(strings.Repeat(`<row r="2"><c t="s"><v>0</v></c></row>`, 2000))}, "record_too_large", "2"},
		{"an index behind a character reference", map[string]string{stringsPath: stringsOf("<si><t>" + big + "</t></si>"),
			sheetPath: sheetOf(`<row r="2">` + strings.Repeat(`<c t="&#115;"><v>&#48;</v></c>`, 8) + `</row>`)}, "record_too_large", "2"},
		{"elements nested ten million deep", map[string]string{sheetPath: sheetOf(`<row r="2">` + strings.Repeat("<a>", 10<<20) + `</row>`)},
			"file_unreadable", ""},
		{"a sheet declared in UTF-16", map[string]string{sheetPath: `<?xml version="1.0" encoding="UTF-16"?>` + sheetOf("")[len(xmlHead):]},
			"file_unreadable", ""},
		{"two parts with one name", map[string]string{"XL/Worksheets/Sheet1.xml": sheetOf("")}, "file_unreadable", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			book := withParts(t, xlsxOfRows(t, 1), tc.parts)
			var err error
			got := allocatedBy(func() {
				_, err = readUntilError(t, book, int64(len(book)), "bomba.xlsx", Limits{})
			})
			t.Logf("%d bytes zipped; allocated %.1f MiB", len(book), float64(got)/(1<<20))
			kind := errs.TooLarge
			if tc.code == "file_unreadable" {
				kind = errs.Invalid
			}
			e := wantCode(t, err, kind, tc.code)
			if e.Params["line"] != tc.line {
				t.Errorf("line: got %q, want %q", e.Params["line"], tc.line)
			}
			if got > bombCeiling {
				t.Errorf("allocated %d MiB, want at most %d MiB", got>>20, bombCeiling>>20)
			}
		})
	}
}

// TestXLSXWithinTheChecks: what real workbooks hold passes the checks.
func TestXLSXWithinTheChecks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts map[string]string
		want  [][]string
	}{
		{"a row of 16,384 cells, styled but empty",
			map[string]string{sheetPath: sheetOf(`<row r="2"><c r="A2" t="inlineStr"><is><t>Ana</t></is></c>` +
				strings.Repeat(`<c s="1"/>`, DefaultMaxFieldsPerRecord-1) + `</row>`)},
			[][]string{{"Ana"}}},
		{"shared strings, a long one among them",
			map[string]string{stringsPath: stringsOf(`<si><t>Ana</t></si><si><r><t>Bia </t></r><r><t>Reis</t></r></si><si><t>` + strings.Repeat("y", 30000) + `</t></si>`),
				sheetPath: sheetOf(`<row r="2"><c r="A2" t="s"><v> 1 </v></c></row><row r="3"><c r="A3" t="s"><v>0</v></c><c r="B3" t="s"><v>2</v></c></row>`)},
			[][]string{{"Bia Reis"}, {"Ana", strings.Repeat("y", 30000)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			book := withParts(t, xlsxOfRows(t, 1), tc.parts)
			rows, err := readUntilError(t, book, int64(len(book)), "x.xlsx", Limits{})
			if err != io.EOF {
				t.Fatalf("got %v, want EOF", err)
			}
			if got := fmt.Sprint(cellsOf(rows)); got != fmt.Sprint(tc.want) {
				t.Errorf("got %.200s, want %.200s", got, fmt.Sprint(tc.want))
			}
		})
	}
}

func cellsOf(rows []Row) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r.Cells
	}
	return out
}

// checkXML runs the checks of one part's kind on xml with small limits.
func checkXML(xml string, kind partKind, ss *sharedStrings) error {
	nodes := 0
	l := Limits{MaxRecordBytes: 200, MaxFieldsPerRecord: 3}.withDefaults()
	return checkPart(strings.NewReader(xml), l, kind, &nodes, ss)
}

func TestPartCheckRows(t *testing.T) {
	ss := &sharedStrings{sizes: []uint32{10, 150}, largest: 150}
	for _, tc := range []struct {
		name, rows string
		code, line string
	}{
		{"cells at the limit", `<row r="4"><c/><c/><c/></row>`, "", ""},
		{"one more", `<row r="4"><c/><c/><c/><c/></row>`, "too_many_fields", "4"},
		{"rows without r count on", `<row r="4"><c/></row><row><c/><c/><c/><x:c/></row>`, "too_many_fields", "5"},
		{"a row numbered back joins the one read", `<row r="4"><c/><c/></row><row r="3"><c/><c/></row>`, "too_many_fields", "4"},
		{"and so does the next one without r", `<row r="4"><c/></row><row r="2"><c/></row><row><c/><c/></row>`, "too_many_fields", "4"},
		{"cells after sheetData are not read", `<row r="4"><c/><c/><c/></row></sheetData><c/>`, "", ""},
		{"a shared string counts its size", `<row r="7"><c t="s"><v>1</v></c><c t="s"><v>1</v></c></row>`, "record_too_large", "7"},
		{"small ones do not add up", `<row r="7"><c t="s"><v>0</v></c><c t="s"><v>0</v></c></row>`, "", ""},
		{"spaces around an index", `<row r="7"><c t="s"><v> 1 </v></c><c t="s"><v>1</v></c></row>`, "record_too_large", "7"},
		{"an index in CDATA is the largest", `<row r="7"><c t="s"><v><![CDATA[0]]></v></c><c t="s"><v>0</v></c></row>`, "record_too_large", "7"},
		{"not a number: index 0", `<row r="7"><c t="s"><v>x</v></c><c t="s"><v>0</v></c></row>`, "", ""},
		{"t as a reference is the largest", `<row r="7"><c t="&#115;"><v>0</v></c><c t="s"><v>0</v></c></row>`, "record_too_large", "7"},
		{"the last t counts", `<row r="7"><c t="n" t="s"><v>1</v></c><c t="s"><v>1</v></c></row>`, "record_too_large", "7"},
		{"a prefixed t counts", `<row r="7"><c x:t="s"><v>1</v></c><c t="s"><v>1</v></c></row>`, "record_too_large", "7"},
		{"an index out of the table", `<row r="7"><c t="s"><v>9</v></c><c t="s"><v>9</v></c></row>`, "", ""},
		{"not shared", `<row r="7"><c t="n"><v>1</v></c><c><v>1</v></c></row>`, "", ""},
		{"a long row", `<row r="8"><c t="inlineStr"><is><t>` + strings.Repeat("z", 200) + `</t></is></c></row>`, "record_too_large", "8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkXML(`<worksheet><sheetData>`+tc.rows+`</worksheet>`, sheetPart, ss)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			e := wantCode(t, err, errs.TooLarge, tc.code)
			if e.Params["line"] != tc.line {
				t.Errorf("line: got %q, want %q", e.Params["line"], tc.line)
			}
		})
	}
}

func TestPartCheckSharedStrings(t *testing.T) {
	for _, tc := range []struct {
		name, xml string
		kind      partKind
		sizes     []uint32
	}{
		{"entries and their sizes", `<sst><si><t>a</t></si><si/><si><r><t>b</t></r></si></sst>`, stringsOnDisk, []uint32{17, 5, 24}},
		{"an entry inside another is part of it", `<sst><si><si/><t>a</t></si></sst>`, stringsOnDisk, []uint32{22}},
		{"from a file, entries at any depth", `<sst><x><si/></x></sst>`, stringsOnDisk, []uint32{5}},
		{"in memory, only the root's children", `<sst><x><si/></x><si/></sst>`, stringsInMemory, []uint32{5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss := &sharedStrings{}
			if err := checkXML(tc.xml, tc.kind, ss); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ss.sizes) != fmt.Sprint(tc.sizes) {
				t.Errorf("sizes: got %v, want %v", ss.sizes, tc.sizes)
			}
		})
	}
	err := checkXML(`<sst><si><t>`+strings.Repeat("a", 200)+`</t></si></sst>`, stringsOnDisk, &sharedStrings{})
	wantCode(t, err, errs.TooLarge, "shared_string_too_long")
}
