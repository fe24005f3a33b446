package sheets

// formulaStarts are the first characters that make a spreadsheet program
// read a cell as a formula (or, for tab and carriage return, hide one):
// OWASP's list for CSV injection.
const formulaStarts = "=+-@\t\r"

// NeedsNeutralizing reports whether a spreadsheet program could take s for
// a formula: it starts with = + - @ tab or carriage return.
func NeedsNeutralizing(s string) bool {
	return s != "" && containsByte(formulaStarts, s[0])
}

// Neutralize returns s with a single quote before it when it needs
// neutralizing (OWASP's advice against CSV injection), and s itself
// otherwise. Phone numbers in E.164 ("+5511...") and negative numbers are
// neutralized too, deliberately: a CSV has no types, and an unquoted
// "+5511999991234" would become the number 5,51E+12 in Excel anyway.
func Neutralize(s string) string {
	if NeedsNeutralizing(s) {
		return "'" + s
	}
	return s
}

// Unneutralize undoes Neutralize: it drops a single quote that stands
// before = + - @ tab or carriage return. A value that really began with
// such a quote (rare: a person who typed '=x in a CSV) loses it too; that
// is what the quote means to Excel anyway.
func Unneutralize(s string) string {
	if len(s) >= 2 && s[0] == '\'' && containsByte(formulaStarts, s[1]) {
		return s[1:]
	}
	return s
}

func containsByte(set string, b byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == b {
			return true
		}
	}
	return false
}
