import Foundation

/// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF, a UTF-8 BOM ignored. Returns rows with
/// their 1-based line numbers so import errors can point at the line an operator sees.
public enum CSV {
    public static func parse(_ text: String) -> [(line: Int, fields: [String])] {
        var rows: [(Int, [String])] = []
        var field = "", fields: [String] = []
        var inQuotes = false, line = 1, rowLine = 1, justQuoted = false
        var chars = Array(text)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowLine, fields)) }
            field = ""; fields = []
        }
        while i < chars.count {
            let ch = chars[i]
            if inQuotes {
                if ch == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { inQuotes = false; justQuoted = true }
                } else {
                    if ch == "\n" || ch == "\r\n" { line += 1 }
                    field.append(ch)
                }
            } else {
                switch ch {
                case "\"" where field.isEmpty && !justQuoted: inQuotes = true
                case ",": fields.append(field); field = ""; justQuoted = false
                case "\n", "\r\n", "\r":
                    endRow(); line += 1; rowLine = line; justQuoted = false
                default: field.append(ch)
                }
            }
            i += 1
        }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }

    /// One CSV line with RFC 4180 quoting, and a leading apostrophe on cells a spreadsheet would
    /// otherwise run as a formula (CSV injection).
    public static func line(_ fields: [String]) -> String {
        fields.map { raw -> String in
            var v = raw
            if let f = v.first, "=+-@\t\r".contains(f), !(Double(v) != nil) { v = "'" + v }
            if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return v
        }.joined(separator: ",")
    }
}
