import Domain
import Foundation
import Services
import Vapor

/// UIT › Templates: the layout families, each with a thumbnail drawn from the same traits the
/// preview uses (menu placement, hero, tile shape, default colours).
enum TemplatesController {
    static func register(_ console: any RoutesBuilder) {
        console.grouped("uit", "templates").grouped(RequirePermission(permission: .uit)).get(use: list)
    }

    struct ThumbVM: Encodable { var id: String; var name: String; var src: String; var summary: String; var traits: String }
    struct PageVM: Encodable { var heading: String; var intro: String; var templates: [ThumbVM] }

    static func list(_ req: Request) async throws -> Response {
        _ = try await req.uit()
        let vm = PageVM(heading: "Templates", intro: "A user interface starts from a template; its colours can then be changed. The apps and the editor's preview lay the home screen out as below.",
                        templates: UITemplate.all.map { t in
                            ThumbVM(id: t.id, name: t.name + (t == .default ? " (default)" : ""),
                                    src: "data:image/svg+xml;base64," + Data(thumbnail(t).utf8).base64EncodedString(), summary: t.summary,
                                    traits: "Menu \(t.menu.rawValue) · \(t.card.rawValue) tiles · \(t.hero ? "hero banner" : "no hero")")
                        })
        return try await Layout.render(req, "uit-templates", title: "Templates", vm)
    }

    /// A 320×180 SVG sketch of the template's home screen.
    static func thumbnail(_ t: UITemplate) -> String {
        let c = t.colours
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 320 180\" width=\"320\" height=\"180\"><rect width=\"320\" height=\"180\" fill=\"\(c.background)\"/>"
        var x = 0, y = 0, w = 320, h = 180
        switch t.menu {
        case .left:
            s += "<rect width=\"56\" height=\"180\" fill=\"\(c.surface)\"/><rect x=\"8\" y=\"10\" width=\"30\" height=\"10\" rx=\"2\" fill=\"\(c.text)\" opacity=\".8\"/>"
            for i in 0..<6 { s += "<rect x=\"8\" y=\"\(32 + i * 16)\" width=\"40\" height=\"9\" rx=\"2\" fill=\"\(i == 0 ? c.primary : c.text)\" opacity=\"\(i == 0 ? "1" : ".45")\"/>" }
            x = 56; w = 264
        case .top:
            s += "<rect width=\"320\" height=\"24\" fill=\"\(c.surface)\"/><rect x=\"8\" y=\"7\" width=\"26\" height=\"10\" rx=\"2\" fill=\"\(c.text)\" opacity=\".8\"/>"
            for i in 0..<6 { s += "<rect x=\"\(44 + i * 40)\" y=\"8\" width=\"32\" height=\"8\" rx=\"2\" fill=\"\(i == 0 ? c.primary : c.text)\" opacity=\"\(i == 0 ? "1" : ".45")\"/>" }
            y = 24; h = 156
        case .bottom:
            s += "<rect y=\"154\" width=\"320\" height=\"26\" fill=\"\(c.surface)\"/>"
            for i in 0..<5 { s += "<rect x=\"\(22 + i * 60)\" y=\"162\" width=\"36\" height=\"10\" rx=\"2\" fill=\"\(i == 0 ? c.primary : c.text)\" opacity=\"\(i == 0 ? "1" : ".45")\"/>" }
            h = 154
        }
        var railY = y + 10
        if t.hero {
            s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w)\" height=\"56\" fill=\"\(c.primary)\" opacity=\".55\"/><rect x=\"\(x + 10)\" y=\"\(y + 18)\" width=\"90\" height=\"10\" rx=\"2\" fill=\"\(c.text)\"/>"
                + "<rect x=\"\(x + 10)\" y=\"\(y + 34)\" width=\"40\" height=\"10\" rx=\"3\" fill=\"\(c.primary)\"/>"
            railY = y + 64
        }
        let (tw, th): (Int, Int) = switch t.card { case .poster: (24, 36); case .landscape: (48, 27); case .square: (30, 30); case .round: (30, 30) }
        while railY + th + 8 <= y + h {
            s += "<rect x=\"\(x + 10)\" y=\"\(railY)\" width=\"50\" height=\"5\" rx=\"1\" fill=\"\(c.text)\" opacity=\".7\"/>"
            var tx = x + 10, first = true
            while tx + tw <= x + w - 6 {
                let rx = t.card == .round ? tw / 2 : 3
                s += "<rect x=\"\(tx)\" y=\"\(railY + 8)\" width=\"\(tw)\" height=\"\(th)\" rx=\"\(rx)\" fill=\"\(c.surface)\"" + (first ? " stroke=\"\(c.secondary)\" stroke-width=\"2\"" : "") + "/>"
                tx += tw + 6
                first = false
            }
            railY += th + 16
        }
        return s + "</svg>"
    }
}
