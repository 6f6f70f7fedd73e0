import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The pay-per-view part of item forms: the rule and one price per currency the deployment sells
/// in (prices are entered per currency, never converted).
struct PPVFields {
    let rules: [PPVRuleModel]
    /// ISO currencies of the deployment (not CREDITS).
    let currencies: [CurrencyCode]

    static func load(_ req: Request, _ ctx: CRMContext, section: ContentKind) async throws -> PPVFields {
        let rules = try await PPVService.rules(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, section: section)
        let codes = try await CurrencyModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).sort(\.$code).all()
            .compactMap { CurrencyCode($0.code) }.filter { $0 != .credits }
        return PPVFields(rules: rules, currencies: codes)
    }

    /// The form fields; `values` holds the submitted or stored texts by field name.
    func fields(ruleID: String?, values: [String: String], rulesHref: String) -> [Field] {
        [Field("ppvRuleID", "Pay-per-view rule", type: "select",
               options: [FieldOption(value: "", label: "Not PPV (sold by subscription packages)", selected: (ruleID ?? "").isEmpty)]
                   + rules.map { FieldOption(value: String($0.id!), label: "\($0.name) — \(PPVService.describe($0))", selected: String($0.id!) == ruleID) },
               help: rules.isEmpty ? "No PPV rule yet: add one under PPV Rules (\(rulesHref))." : "Enable PayPerView by choosing a rule; the item then leaves subscription packages.")]
            + currencies.map { Field("price_\($0.code)", "Price \($0.code)", value: values["price_\($0.code)"] ?? "", help: $0 == currencies.first ? "PPV price per currency; leave empty where not sold." : nil) }
    }

    /// Stored prices as form texts.
    func values(_ prices: [String: Int64]) -> [String: String] {
        var out: [String: String] = [:]
        for code in currencies { if let a = prices[code.code] { out["price_\(code.code)"] = Money(minorUnits: a, currency: code).amountString } }
        return out
    }

    /// Reads the rule and prices from a submitted form; unreadable prices are field errors.
    func read(_ req: Request) throws -> (ruleID: Int?, prices: [String: Int64], texts: [String: String]) {
        let rule = (try? req.content.get(String.self, at: "ppvRuleID")).flatMap { Int($0) }
        var prices: [String: Int64] = [:], texts: [String: String] = [:]
        var errors = FieldErrors()
        for code in currencies {
            let text = ((try? req.content.get(String.self, at: "price_\(code.code)")) ?? "").trimmingCharacters(in: .whitespaces)
            texts["price_\(code.code)"] = text
            guard !text.isEmpty else { continue }
            if let m = Money.parse(text, currency: code) { prices[code.code] = m.minorUnits } else { errors.add("price_\(code.code)", "must be an amount like 3.99") }
        }
        if rule != nil { try errors.throwIfAny() }
        return (rule, rule == nil ? [:] : prices, texts)
    }
}
