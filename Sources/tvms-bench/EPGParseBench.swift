import Domain
import Foundation

// The XMLTV parser alone over a file, read in 1 MiB chunks as the importer reads it: the
// number to compare with `xmllint --stream --noout` (scripts/bench/epg.sh). Prints seconds,
// programmes and MB/s.
//
//   tvms-bench epg-parse GUIDE.xml

func epgParseBench(_ arguments: [String]) throws {
    guard let path = arguments.first, let handle = FileHandle(forReadingAtPath: path) else {
        print("usage: tvms-bench epg-parse GUIDE.xml")
        exit(2)
    }
    var programmes = 0, channels = 0
    let parser = XMLTVParser { event in
        switch event {
        case .programme: programmes += 1
        case .channel: channels += 1
        case .warning: break
        }
    }
    var bytes = 0
    let started = Date()
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
        bytes += data.count
        try parser.feed(data)
    }
    try parser.finish()
    let seconds = Date().timeIntervalSince(started)
    print(String(format: "%.2f s, %d channels, %d programmes, %.1f MB/s", seconds, channels, programmes, Double(bytes) / 1_048_576 / seconds))
}
