import Foundation

/// A line chart computed here and drawn by the template as inline SVG: no script, no external
/// library, nothing the CSP has to allow. Every text goes through Leaf's escaping.
struct ChartVM: Encodable {
    struct Series: Encodable { var name: String; var cssClass: String; var points: String; var dots: [Dot] }
    struct Dot: Encodable { var x: Int; var y: Int; var title: String }
    struct Label: Encodable { var x: Int; var y: Int; var text: String }
    struct Line: Encodable { var x1: Int; var y1: Int; var x2: Int; var y2: Int }
    struct Legend: Encodable { var name: String; var cssClass: String; var x: Int; var textX: Int }

    var title: String
    var width: Int
    var height: Int
    var series: [Series]
    var xLabels: [Label]
    var yLabels: [Label]
    var grid: [Line]
    var legend: [Legend]

    /// `labels` name the x positions; each series has one value per label.
    init(title: String, labels: [String], series input: [(name: String, values: [Int64])], width: Int = 760, height: Int = 280) {
        self.title = title
        self.width = width
        self.height = height
        let left = 56, right = 36, top = 34, bottom = 36
        let plotW = width - left - right, plotH = height - top - bottom
        let maxValue = max(1, input.flatMap(\.values).max() ?? 1)
        let step = Self.niceStep(maxValue)
        let yMax = ((maxValue + step - 1) / step) * step
        func x(_ i: Int) -> Int { labels.count <= 1 ? left + plotW / 2 : left + i * plotW / (labels.count - 1) }
        func y(_ v: Int64) -> Int { top + plotH - Int(Double(v) / Double(yMax) * Double(plotH)) }
        var grid: [Line] = [], yLabels: [Label] = []
        var v: Int64 = 0
        while v <= yMax {
            grid.append(Line(x1: left, y1: y(v), x2: width - right, y2: y(v)))
            yLabels.append(Label(x: left - 8, y: y(v) + 4, text: String(v)))
            v += step
        }
        self.grid = grid
        self.yLabels = yLabels
        // Thin the month labels on narrow charts so they never overlap.
        let every = max(1, Int((Double(labels.count) * 64 / Double(plotW)).rounded(.up)))
        xLabels = labels.enumerated().compactMap { i, text in i % every == 0 || i == labels.count - 1 ? Label(x: x(i), y: height - 12, text: text) : nil }
        series = input.enumerated().map { n, s in
            Series(name: s.name, cssClass: "s\(n % 6 + 1)",
                   points: s.values.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " "),
                   dots: s.values.enumerated().map { Dot(x: x($0.offset), y: y($0.element), title: "\(s.name), \(labels[$0.offset]): \($0.element)") })
        }
        legend = input.enumerated().map { n, s in Legend(name: s.name, cssClass: "s\(n % 6 + 1)", x: left + n * 130, textX: left + n * 130 + 20) }
    }

    /// 1, 2 or 5 × a power of ten, giving four to eight grid lines.
    static func niceStep(_ maxValue: Int64) -> Int64 {
        var step: Int64 = 1
        while true {
            for m: Int64 in [1, 2, 5] where maxValue / (step * m) <= 6 { return step * m }
            step *= 10
        }
    }
}
