package sheets

import (
	"io"
	"strconv"
)

// partKind is how excelize reads a part of a workbook.
type partKind uint8

const (
	parsedPart      partKind = iota // unmarshalled whole on open or on first use (styles, workbook, relationships, ...)
	sheetPart                       // streamed row by row (xl/worksheets/sheet*)
	stringsInMemory                 // the shared strings table, unmarshalled whole (at most UnzipXMLSizeLimit bytes)
	stringsOnDisk                   // the shared strings table, indexed entry by entry from a temporary file
)

// sharedStrings is what the check of the shared strings table learns for
// the check of the sheets: how large each entry is.
type sharedStrings struct {
	sizes   []uint32 // XML bytes of each entry, by index
	largest int64
}

// partCheck bounds what excelize will allocate to read one part: the
// elements and attributes of the parts it unmarshals whole (nodes, shared
// by all of them: 4 per element, 1 per attribute), the entries of the shared strings table and the size of
// each, and for each sheet row its cells and its size, the shared strings
// its cells refer to counted in (excelize copies each one into the row).
type partCheck struct {
	l       Limits
	kind    partKind
	nodes   *int
	strings *sharedStrings
	sc      *xmlScanner

	entryDepth int // depth of the open shared string entry, 0 when none
	entryStart int64

	rowOpen    bool
	rowLine    int   // the number of the row excelize is reading
	lastRow    int   // the number of the last <row>, as excelize counts it
	rowStart   int64 // where the row starts in the part
	rowShared  int64 // bytes of the shared strings its cells refer to
	rowCells   int
	cellDepth  int     // depth of the open cell, 0 when none
	cellShared sharing // whether the open cell holds a shared string
	vDepth     int     // depth of the open <v> of a shared cell, 0 when none
	v          shortBytes
	vUnknown   bool // the <v> holds more than plain digits
}

// sharing tells whether a cell's value is an index in the shared strings.
type sharing uint8

const (
	notShared sharing = iota
	shared
	maybeShared // its t attribute is written with a character reference
)

// checkPart reads one part and applies the limits of its kind.
func checkPart(r io.Reader, l Limits, kind partKind, nodes *int, ss *sharedStrings) error {
	c := &partCheck{l: l, kind: kind, nodes: nodes, strings: ss}
	c.sc = newXMLScanner(r, maxXMLRun(l), c)
	if err := c.sc.scan(); err != nil {
		return err
	}
	if c.entryDepth != 0 {
		if err := c.closeEntry(); err != nil {
			return err
		}
	}
	return c.checkRow()
}

func (c *partCheck) tag(t *xmlTag, depth int) error {
	if c.kind == parsedPart && !t.end {
		// An attribute costs about a quarter of an element.
		if *c.nodes += 4 + t.attrs; *c.nodes > 4*maxParsedElements {
			return limitErr(ErrWorkbookTooComplex, maxParsedElements, 0, 0)
		}
	}
	if c.kind == stringsInMemory || c.kind == stringsOnDisk {
		return c.entryTag(t, depth)
	}
	if err := c.rowTag(t, depth); err != nil {
		return err
	}
	return c.checkRow()
}

// entryTag follows the entries of the shared strings table as excelize
// counts them: from a temporary file, every <si> outside another; in
// memory, the <si> children of the root element.
func (c *partCheck) entryTag(t *xmlTag, depth int) error {
	switch {
	case c.entryDepth == 0 && !t.end && t.name.is("si") && (c.kind == stringsOnDisk || depth == 2):
		if len(c.strings.sizes) == maxSharedStrings {
			return limitErr(ErrTooManySharedStrings, maxSharedStrings, 0, 0)
		}
		c.entryDepth, c.entryStart = depth, c.sc.start
		if t.empty {
			return c.closeEntry()
		}
	case c.entryDepth != 0 && t.end && depth == c.entryDepth:
		return c.closeEntry()
	}
	if c.entryDepth != 0 && c.sc.pos-c.entryStart > c.l.MaxRecordBytes {
		return limitErr(ErrSharedStringTooLong, c.l.MaxRecordBytes, 0, 0)
	}
	return nil
}

func (c *partCheck) closeEntry() error {
	size := c.sc.pos - c.entryStart
	if size > c.l.MaxRecordBytes {
		return limitErr(ErrSharedStringTooLong, c.l.MaxRecordBytes, 0, 0)
	}
	c.strings.sizes = append(c.strings.sizes, uint32(size))
	c.strings.largest = max(c.strings.largest, size)
	c.entryDepth = 0
	return nil
}

// rowTag follows the rows of a sheet as excelize streams them: a row runs
// from its <row> to the next one numbered past it, or the end of
// <sheetData>, and every <c> in between is one of its cells.
func (c *partCheck) rowTag(t *xmlTag, depth int) error {
	switch {
	case t.name.is("row") && !t.end:
		// excelize numbers a <row> by its r attribute, or as the one
		// before plus one, and reads one whose number is not past the
		// row it is reading into that row.
		c.lastRow++
		if n, err := strconv.Atoi(string(t.r.b[:t.r.n])); err == nil && n > 0 && !t.r.long {
			c.lastRow = n
		}
		if c.rowOpen && c.lastRow <= c.rowLine {
			return nil
		}
		if err := c.checkRow(); err != nil {
			return err
		}
		*c = partCheck{l: c.l, kind: c.kind, nodes: c.nodes, strings: c.strings, sc: c.sc,
			rowOpen: true, rowLine: c.lastRow, lastRow: c.lastRow, rowStart: c.sc.start}
	case t.name.is("sheetData") && t.end:
		if err := c.checkRow(); err != nil {
			return err
		}
		c.rowOpen = false
	case !c.rowOpen:
	case t.name.is("c") && !t.end:
		if c.rowCells++; c.rowCells > c.l.MaxFieldsPerRecord {
			return limitErr(ErrTooManyFields, int64(c.l.MaxFieldsPerRecord), c.rowLine, 0)
		}
		c.cellDepth, c.cellShared, c.vDepth = depth, sharingOf(t), 0
		if t.empty {
			c.cellDepth = 0
		}
	case c.cellDepth != 0 && t.end && depth == c.cellDepth:
		c.cellDepth, c.vDepth = 0, 0
	case c.vDepth != 0 && t.end && depth == c.vDepth:
		c.rowShared += c.sharedSize()
		c.vDepth = 0
	case c.vDepth != 0:
		c.vUnknown = true // markup inside the value
	case c.cellDepth != 0 && c.cellShared != notShared && t.name.is("v") && !t.end && !t.empty:
		c.vDepth, c.v, c.vUnknown = depth, shortBytes{}, false
	}
	return nil
}

// sharingOf tells from a cell's t attribute whether its value is a shared
// string: t="s", or a value that could decode to "s" (a character
// reference).
func sharingOf(t *xmlTag) sharing {
	switch {
	case !t.hasT:
		return notShared
	case t.t.is("s"):
		return shared
	case t.t.n > 0 && t.t.b[0] == '&':
		return maybeShared
	}
	return notShared
}

// sharedSize returns the size of the shared string the <v> just read
// refers to, read as excelize reads it (an index after trimming spaces, 0
// when not a number), or the largest entry when the value could hide
// other digits (a character reference, a CDATA section, markup).
func (c *partCheck) sharedSize() int64 {
	raw := c.v.b[:c.v.n]
	switch {
	case c.vUnknown || c.v.long || c.cellShared == maybeShared:
		return c.strings.largest
	case len(raw) == 0:
		return 0 // an empty value: excelize looks nothing up
	}
	i, err := strconv.Atoi(string(trimASCIISpace(raw)))
	if err != nil {
		i = 0
	}
	if i < 0 || i >= len(c.strings.sizes) {
		return 0
	}
	return int64(c.strings.sizes[i])
}

func trimASCIISpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// checkRow fails an open row larger than MaxRecordBytes.
func (c *partCheck) checkRow() error {
	if c.rowOpen && c.sc.pos-c.rowStart+c.rowShared > c.l.MaxRecordBytes {
		return limitErr(ErrRecordTooLarge, c.l.MaxRecordBytes, c.rowLine, 0)
	}
	return nil
}

func (c *partCheck) text(b []byte) {
	if c.vDepth == 0 {
		return
	}
	for _, x := range b {
		if x == '&' || x >= 0x80 {
			c.vUnknown = true
		}
		c.v.add(x)
	}
}

func (c *partCheck) opaque() {
	if c.vDepth != 0 {
		c.vUnknown = true
	}
}
