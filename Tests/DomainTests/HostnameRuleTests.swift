import Testing
@testable import Domain

/// The pure rules behind hostnames: language codes and the login screen's fallback order,
/// service ids, links and the stored method/platform lists.
struct HostnameRuleTests {
    @Test func textsFallBackFromTheAskedLanguageToItsBaseTheDefaultThenEnglish() {
        let texts = ["en": "Hello", "ar": "مرحبا", "pt": "Olá", "nl": ""]
        #expect(HostnameRules.text(texts, language: "ar", defaultLanguage: "en") == "مرحبا")
        #expect(HostnameRules.text(texts, language: "pt-br", defaultLanguage: "en") == "Olá")
        #expect(HostnameRules.text(texts, language: "nl", defaultLanguage: "ar") == "مرحبا", "an empty text counts as missing")
        #expect(HostnameRules.text(texts, language: "fr", defaultLanguage: "de") == "Hello")
        #expect(HostnameRules.text(texts, language: nil, defaultLanguage: "en") == "Hello")
        #expect(HostnameRules.text(["ar": "x"], language: "fr", defaultLanguage: "en") == "")
    }

    @Test func languageCodesAreNormalisedAndChecked() {
        #expect(HostnameRules.languageCode(" EN ") == "en")
        #expect(HostnameRules.languageCode("pt-BR") == "pt-br")
        for bad in ["", "e", "english", "en_US", "en-", "12", "ar-x"] { #expect(HostnameRules.languageCode(bad) == nil, "\(bad)") }
        #expect(HostnameRules.language("ar").rtl && HostnameRules.language("ar").name == "العربية")
        #expect(HostnameRules.language("fa-ir").rtl, "a region keeps its language's direction")
        #expect(HostnameRules.language("xx") == UILanguage(code: "xx", name: "xx", rtl: false))
    }

    @Test func serviceIDsLinksAndAddresses() {
        #expect(HostnameRules.serviceID(" A7-b_2 ") == "a7-b_2")
        for bad in ["", "a b", "x/y", String(repeating: "1", count: 33)] { #expect(HostnameRules.serviceID(bad) == nil, "\(bad)") }
        #expect(HostnameRules.url("") == "")
        #expect(HostnameRules.url("https://play.google.com/store/apps/details?id=x") != nil)
        for bad in ["javascript:alert(1)", "ftp://x.example", "https://", "https://a b.example"] { #expect(HostnameRules.url(bad) == nil, "\(bad)") }
        #expect(HostnameRules.email("help@example.com") == "help@example.com" && HostnameRules.email("") == "")
        for bad in ["help", "a@b", "a @b.c", "@b.c"] { #expect(HostnameRules.email(bad) == nil, "\(bad)") }
    }

    @Test func storedListsKeepTheCanonicalOrderAndDropUnknownValues() {
        #expect(HostnameRules.list("mac,password,telepathy", of: AuthMethod.self) == [.password, .mac])
        #expect(HostnameRules.stored([DevicePlatform.stb, .web]) == "stb,web")
        #expect(HostnameRules.list("", of: DevicePlatform.self).isEmpty)
    }
}
