import Foundation

/// How TVMS channel names are compared with guide channel names: normalised (case, accents,
/// punctuation and quality suffixes like "HD" dropped, numbers kept whole so "2 ABC" never equals
/// "21 ABC"), then a similarity from 0 to 1 for the fuzzy step.
public enum ChannelNameMatching {
    static let qualityWords: Set<String> = ["hd", "fhd", "uhd", "sd", "4k", "hevc", "h265", "tv"]

    /// "Das Erste HD" → ["das", "erste"]; "BBC One +1" → ["bbc", "one", "+1"].
    public static func tokens(_ name: String) -> [String] {
        let folded = name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "en_US_POSIX")).lowercased()
        var out: [String] = []
        var current = ""
        func push() {
            if !current.isEmpty && !qualityWords.contains(current) { out.append(current) }
            current = ""
        }
        var previous: Character = " "
        for ch in folded {
            if ch.isLetter || ch.isNumber {
                // "Channel4" and "Channel 4" are the same words; a letter/digit boundary splits.
                if !current.isEmpty && (ch.isNumber != previous.isNumber) && previous != "+" { push() }
                current.append(ch)
            } else if ch == "+" {
                push()
                current = "+"
            } else {
                push()
            }
            previous = ch
        }
        push()
        return out.filter { $0 != "+" }
    }

    public static func normalised(_ name: String) -> String { tokens(name).joined(separator: " ") }

    /// 1 for the same words; less as words differ. Numbers must agree: two names whose numbers
    /// differ score 0, so channel 2 never matches channel 21.
    public static func similarity(_ a: String, _ b: String) -> Double {
        let x = tokens(a), y = tokens(b)
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        let nx = Set(x.filter { $0.first!.isNumber || $0.hasPrefix("+") }), ny = Set(y.filter { $0.first!.isNumber || $0.hasPrefix("+") })
        guard nx == ny else { return 0 }
        // Words: Jaccard of the sets, lifted by character trigrams for near spellings.
        let sx = Set(x), sy = Set(y)
        let words = Double(sx.intersection(sy).count) / Double(sx.union(sy).count)
        func trigrams(_ s: String) -> Set<String> {
            let c = Array(" " + s + " ")
            guard c.count >= 3 else { return [s] }
            return Set((0...(c.count - 3)).map { String(c[$0..<$0 + 3]) })
        }
        let tx = trigrams(x.joined(separator: " ")), ty = trigrams(y.joined(separator: " "))
        let grams = Double(tx.intersection(ty).count) / Double(tx.union(ty).count)
        return (words + 2 * grams) / 3
    }
}
