package sheets

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// The formats cell values are read in, whatever the workbook's own number
// formats: dates as ISO 8601, which contact.BuildProfile reads. The locale
// tag (en-US) changes no digit; without one excelize searches every locale
// it knows for each part of each date, five times slower.
const (
	dateLayout     = "[$-409]yyyy-mm-dd"
	dateTimeLayout = "[$-409]yyyy-mm-dd hh:mm:ss"
	timeLayout     = "[$-409]hh:mm:ss"
)

// noFormat is a number format id that is neither built in nor defined, so
// excelize returns a cell with it as stored: numbers as typed (5511999991234,
// 1234.5, 0.15) rather than as displayed (5,51E+12, R$ 1.234,50, 15%).
const noFormat = -1

// isoDates rewrites the cell styles of f in memory (the file is never saved)
// so that excelize's formatted reading gives dates as YYYY-MM-DD, date-times
// as YYYY-MM-DD hh:mm:ss, times as hh:mm:ss, and every other number as
// stored. excelize streams rows without telling each cell's style, but it
// formats each cell through its style's number format: pointing every style
// at one of our formats decides, per style, what comes out.
//
// This reaches into f.Styles, excelize's parsed styles.xml, whose exported
// fields are part of its API; the tests pin the behaviour.
func isoDates(f *excelize.File) {
	ss := f.Styles
	if ss == nil || ss.CellXfs == nil || len(ss.CellXfs.Xf) == 0 {
		return
	}
	n := len(ss.CellXfs.Xf)
	// The kind of each style, read before NewStyle adds styles of its own.
	kinds := make([]formatKind, n)
	for i := range n {
		id := 0
		if p := ss.CellXfs.Xf[i].NumFmtID; p != nil {
			id = *p
		}
		kinds[i] = classifyFormat(id, customFormat(f, id))
	}
	ids := map[formatKind]int{kindNumber: noFormat}
	for _, k := range []struct {
		kind   formatKind
		layout string
	}{{kindDate, dateLayout}, {kindDateTime, dateTimeLayout}, {kindTime, timeLayout}} {
		code := k.layout
		style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil || style < 0 || style >= len(ss.CellXfs.Xf) || ss.CellXfs.Xf[style].NumFmtID == nil {
			return
		}
		ids[k.kind] = *ss.CellXfs.Xf[style].NumFmtID
	}
	for i := range n {
		id := ids[kinds[i]]
		ss.CellXfs.Xf[i].NumFmtID = &id
	}
}

// customFormat returns the format code of the workbook's number format id,
// or "" when it defines none.
func customFormat(f *excelize.File, id int) string {
	if f.Styles.NumFmts == nil {
		return ""
	}
	for _, nf := range f.Styles.NumFmts.NumFmt {
		if nf != nil && nf.NumFmtID == id {
			if nf.FormatCode16 != "" {
				return nf.FormatCode16
			}
			return nf.FormatCode
		}
	}
	return ""
}

// formatKind is what a number format shows a number as.
type formatKind int

const (
	kindNumber formatKind = iota
	kindDate
	kindDateTime
	kindTime
)

// classifyFormat tells what the number format id, with the workbook's code
// for it (custom formats, id ≥ 164, or a redefined built-in), shows.
func classifyFormat(id int, code string) formatKind {
	if code != "" {
		return classifyCode(code)
	}
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return kindDate
	case id == 22:
		return kindDateTime
	case id >= 18 && id <= 21, id >= 32 && id <= 35, id >= 45 && id <= 47:
		return kindTime
	}
	return kindNumber
}

// classifyCode tells what a number format code shows, from its first
// section with quoted text, escaped characters, fills, paddings and
// bracketed locale or color codes removed: a date when y or d remain, a time
// when h or s remain (or an elapsed-time bracket such as [h]).
func classifyCode(code string) formatKind {
	var b strings.Builder
	elapsed := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case ';':
			i = len(code)
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				i = len(code)
				break
			}
			inner := strings.ToLower(code[i+1 : i+1+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				elapsed = true
			}
			i += j + 1
		default:
			b.WriteByte(c | 0x20) // ASCII lowercase; other bytes do not matter
		}
	}
	s := b.String()
	date := strings.ContainsAny(s, "yd")
	clock := elapsed || strings.ContainsAny(s, "hs")
	switch {
	case date && clock:
		return kindDateTime
	case date:
		return kindDate
	case clock:
		return kindTime
	}
	return kindNumber
}
