import Foundation
import Testing
@testable import Domain

/// UIT rules without a database: what a UI config may hold, the document built from it, the
/// translation layers' order and the translation files' checks.
struct UIToolkitRuleTests {
    @Test func aFreshConfigIsValidAndEveryTemplateHasValidColours() {
        for t in UITemplate.all {
            #expect(UIConfig.fresh(template: t).problems(offered: ["en"]).isEmpty, "\(t.id)")
        }
        #expect(UITemplate.named("AKUA") == .akua && UITemplate.named("nope") == nil)
    }

    @Test func problemsNameTheirFields() {
        var c = UIConfig.fresh()
        c.colours.primary = "#12345"
        c.template = "neon"
        c.defaultLanguage = "ar"
        c.behaviour.sleepMinutes = -1
        c.behaviour.parentalMaxRating = 21
        c.rails.append(.init(key: "trending"))
        c.menu.append(.init(key: "app:tv box", name: "", packageName: "nodots"))
        let p = c.problems(offered: ["en"])
        #expect(Set(p.keys) == ["colour_primary", "template", "defaultLanguage", "sleepMinutes", "parentalMaxRating", "rails", "menu"])
        #expect(UIColours.normalise(" #a1b2c3 ") == "#A1B2C3" && UIColours.normalise("red") == nil)
        #expect(UIConfig.isPackageName("com.example.tv") && !UIConfig.isPackageName("com..tv") && !UIConfig.isPackageName("1com.tv"))
    }

    @Test func theDocumentShowsEnabledEntriesWithALabelPerLanguage() {
        var c = UIConfig.fresh()
        c.languages = ["en", "ar"]
        c.menu[0].labels = ["ar": "البداية"]
        c.menu[2].enabled = false
        c.menu.append(.init(key: "app:radio", labels: ["en": "Radio"], name: "Radio", packageName: "com.demo.radio"))
        c.rails[0].enabled = false
        let texts = ["en": ["menu.home": "Home", "menu.tv": "TV"], "ar": ["menu.tv": "التلفزيون"]]
        let doc = UIDocument.build(id: UUID(), name: "T", version: 7, config: c, logo: nil, background: nil) { texts[$0]?[$1] }
        #expect(doc.menu[0].label == ["en": "Home", "ar": "البداية"])
        #expect(doc.menu[1].label == ["en": "TV", "ar": "التلفزيون"])
        #expect(!doc.menu.contains { $0.key == "guide" })
        #expect(doc.menu.last?.type == "app" && doc.menu.last?.label == ["en": "Radio", "ar": "Radio"])
        #expect(doc.rails.first?.key == "favourites")
        let json = String(decoding: try! JSONEncoder().encode(doc), as: UTF8.self)
        #expect(json.contains("\"logo\":null") && json.contains("\"startChannel\":null"))
    }

    @Test func layersFallBackInOrder() {
        let layers = TranslationLayers(base: ["a": "A", "b": "B", "c": "C"],
                                       deployment: ["fr": ["a": "a-fr", "b": "b-fr"], "en": ["c": "C!"]], ui: ["fr": ["a": "a-ui"]])
        #expect(layers.strings("fr") == ["a": "a-ui", "b": "b-fr", "c": "C!"])
        #expect(layers.own("fr", "c") == nil && layers.own("en", "c") == "C!")
    }

    @Test func filesAreCheckedWhole() throws {
        let english = ["vod.season": "Season {number}", "menu.home": "Home"]
        let known = Set(english.keys)
        #expect(try TranslationFile.parse("key,text\r\nmenu.home,\"Acc, \"\"ueil\"\"\"\r\nvod.season,\r\n", format: .csv, language: "fr", known: known, english: english)
                == ["menu.home": "Acc, \"ueil\""])
        #expect(throws: TranslationFile.Problem.self) { try TranslationFile.parse("key,text\nmenu.home,a\nmenu.home,b\n", format: .csv, language: "fr", known: known, english: english) }
        #expect(throws: TranslationFile.Problem.self) { try TranslationFile.parse(#"{"vod.season":"Saison"}"#, format: .json, language: "fr", known: known, english: english) }
        #expect(throws: TranslationFile.Problem.self) { try TranslationFile.parse(#"{"menu.home":1}"#, format: .json, language: "fr", known: known, english: english) }
        let strings = ["menu.home": "-\u{201C}x\u{201D}\n\"y\"", "vod.season": "Saison {number}"]
        let csv = TranslationFile.csv(strings: strings, english: english)
        let json = TranslationFile.json(language: "fr", strings: strings)
        #expect(try TranslationFile.parse(csv, format: .csv, language: "fr", known: known, english: english) == strings.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(try TranslationFile.parse(json, format: .json, language: "fr", known: known, english: english) == strings)
        #expect(TranslationFile.placeholders("{a} and {b_2} but not { c } or {}") == ["{a}", "{b_2}"])
        #expect(UILanguage.isCode("pt-br") && UILanguage.isCode("ar") && !UILanguage.isCode("EN") && !UILanguage.isCode("e"))
    }
}
