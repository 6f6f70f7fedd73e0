import Foundation
import Testing
@testable import Domain

@Suite struct ImageSnifferTests {
    static func png(width: Int, height: Int) -> [UInt8] {
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(width) + be32(height) + [8, 6, 0, 0, 0] + [0, 0, 0, 0]
    }

    @Test func recognisesImagesByTheirBytesAndReadsTheirSize() {
        #expect(ImageSniffer.sniff(Self.png(width: 1920, height: 1080)) == SniffedImage(contentType: "image/png", width: 1920, height: 1080))
        // JPEG: SOI, an APP0 segment, then SOF0 with height 480 and width 640.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03] + Array(repeating: 0, count: 12)
        #expect(ImageSniffer.sniff(jpeg) == SniffedImage(contentType: "image/jpeg", width: 640, height: 480))
        // WebP (VP8X): canvas 800×600 stored as size − 1, little-endian 24-bit.
        var webp: [UInt8] = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8) + Array("VP8X".utf8) + [10, 0, 0, 0] + [0, 0, 0, 0]
        webp += [0x1F, 0x03, 0x00, 0x57, 0x02, 0x00]
        #expect(ImageSniffer.sniff(webp) == SniffedImage(contentType: "image/webp", width: 800, height: 600))
    }

    @Test func refusesWhatIsNotARasterImage() {
        #expect(ImageSniffer.sniff(Array("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".utf8)) == nil)
        #expect(ImageSniffer.sniff(Array("GIF89a".utf8)) == nil)
        #expect(ImageSniffer.sniff(Array(Self.png(width: 10, height: 10).prefix(20))) == nil, "a truncated PNG")
        #expect(ImageSniffer.sniff(Self.png(width: 0, height: 10)) == nil, "zero width")
    }
}

@Suite struct BrandingRuleTests {
    @Test func coloursAndHostnames() {
        #expect(BrandingRules.colour("#ff8800") == "#FF8800")
        #expect(BrandingRules.colour(" ") == "")
        #expect(BrandingRules.colour("orange") == nil && BrandingRules.colour("#ff88") == nil && BrandingRules.colour("#gg8800") == nil)
        #expect(BrandingRules.hostname("TV.Example.com.") == "tv.example.com")
        #expect(BrandingRules.hostname("https://tv.example.com") == nil)
        #expect(BrandingRules.hostname("tv.example.com:8080") == nil)
        #expect(BrandingRules.hostname("localhost") == nil, "one label")
        #expect(BrandingRules.hostname("10.0.0.1") == nil, "an IP address")
        #expect(BrandingRules.hostname("-bad.example.com") == nil)
    }

    @Test func stockStatesThatCanBeAssigned() {
        #expect(StockState.inStock.assignable && StockState.returned.assignable)
        #expect(!StockState.assigned.assignable && !StockState.faulty.assignable)
        #expect(!StockState.settable.contains(.assigned), "assigning goes through Assign, which links the device")
    }
}

@Suite struct ShopWebhookTests {
    @Test func signaturesAreBase64HMACSHA256OfTheRawBody() {
        // Shopify's documented scheme, checked against an independently computed value
        // (python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b"hush",b"{\"id\":1}",hashlib.sha256).digest()).decode())').
        let body = Array(#"{"id":1}"#.utf8)
        #expect(ShopWebhooks.signature(body: body, secret: "hush") == "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=")
        #expect(ShopWebhooks.verify(body: body, secret: "hush", signature: "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="))
        #expect(!ShopWebhooks.verify(body: body + [0x20], secret: "hush", signature: "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="))
        #expect(!ShopWebhooks.verify(body: body, secret: "", signature: ShopWebhooks.signature(body: body, secret: "")))
        #expect(!ShopWebhooks.verify(body: body, secret: "hush", signature: "not base64!"))
    }

    @Test func ordersOfEachPlatformReadTheSame() throws {
        let woo = try ShopWebhooks.wooCommerce(topic: "order.updated", body: Array(#"{"id":7,"status":"completed","customer_id":0,"billing":{"email":"G@x.io","country":"nl"},"line_items":[{"product_id":5,"variation_id":9,"sku":"S","quantity":3}]}"#.utf8))
        #expect(woo.orderID == "7" && woo.event == .paid && woo.customerKey == "email:g@x.io" && woo.country == "NL")
        #expect(woo.items == [ShopOrder.Item(keys: ["9", "5", "S"], quantity: 3)])
        #expect(try ShopWebhooks.wooCommerce(topic: "order.updated", body: Array(#"{"id":7,"status":"on-hold"}"#.utf8)).event == .other)
        let shopify = try ShopWebhooks.shopify(topic: "orders/updated", body: Array(#"{"id":8,"financial_status":"paid","cancelled_at":"2026-11-24T10:00:00Z","customer":{"id":3}}"#.utf8))
        #expect(shopify.event == .cancelled && shopify.customerKey == "id:3")
        #expect(try ShopWebhooks.shopify(topic: "refunds/create", body: Array(#"{"id":1,"order_id":8}"#.utf8)) == ShopOrder(orderID: "8", event: .refunded, customerKey: ""))
        #expect(throws: ShopWebhookError.self) { try ShopWebhooks.generic(body: Array(#"{"status":"paid"}"#.utf8)) }
    }
}

@Suite struct ProvisionRuleTests {
    @Test func answersAreJudgedByStatusAndRules() {
        let ok = AnswerRule("status=ok"), declined = AnswerRule("declined")
        #expect(ProvisionVerdict.judge(status: 200, body: #"{"status":"OK"}"#, success: ok, failure: AnswerRule("")) == .success)
        #expect(ProvisionVerdict.judge(status: 200, body: #"{"status":"pending"}"#, success: ok, failure: AnswerRule("")) == .failure)
        #expect(ProvisionVerdict.judge(status: 200, body: "payment declined", success: AnswerRule(""), failure: declined) == .failure, "the failure rule wins")
        #expect(ProvisionVerdict.judge(status: 204, body: "", success: AnswerRule(""), failure: AnswerRule("")) == .success)
        #expect(ProvisionVerdict.judge(status: 402, body: "", success: AnswerRule(""), failure: AnswerRule("")) == .failure)
        #expect(ProvisionVerdict.judge(status: 503, body: "", success: ok, failure: declined) == .retry)
        #expect(ProvisionVerdict.judge(status: 200, body: #"{"paid":true}"#, success: AnswerRule("paid=true"), failure: AnswerRule("")) == .success)
    }

    @Test func windowsEndByCalendar() {
        let utc = TimeZone(identifier: "UTC")!
        let start = Date(timeIntervalSince1970: 1_769_817_600) // 2026-01-31 00:00 UTC
        #expect(PPVWindow(count: 48, unit: .hours).end(from: start, in: utc) == start.addingTimeInterval(172_800))
        #expect(PPVWindow(count: 1, unit: .months).end(from: start, in: utc) == Date(timeIntervalSince1970: 1_772_236_800), "Jan 31 + 1 month = Feb 28")
    }
}
