import Domain
import Foundation
import Vapor

/// Subcommand groups that need no database: `main` runs them without `configure`, so an
/// operator can use them on an edge host with no TVMS data at all.
public let standaloneCommandNames: Set<String> = ["tokens"]

struct TokenCommands: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["sign": TokenSignCommand()] }
    var help: String { "Signs stream URLs the way the edge servers check them (no database needed)." }
}

/// `tvms tokens sign --scheme S --secret K --url URL [--ip IP] [--ttl SECONDS] [--now UNIX]
/// [--param NAME] [--user ID] [--option key=value ...]`: prints the signed URL, so an operator
/// can test an edge's configuration with exactly what TVMS will hand to players.
struct TokenSignCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "scheme", help: "nginx, flussonic, wowza, nimble or akamai") var scheme: String?
        @Option(name: "secret", help: "The shared secret the edge is configured with (Akamai: the hex key)") var secret: String?
        @Option(name: "url", help: "The clean stream URL (absolute, or a path)") var url: String?
        @Option(name: "ip", help: "Client IP to bind the link to (without it the link works from any address)") var ip: String?
        @Option(name: "ttl", help: "Lifetime in seconds (default 3600)") var ttl: Int?
        @Option(name: "now", help: "Unix time to sign at (default: the current time)") var now: Int?
        @Option(name: "param", help: "Token query parameter name (default per scheme: token, wmsAuthSign, hdnts)") var param: String?
        @Option(name: "user", help: "User or session id (Flussonic user_id, Akamai id, Nimble pay-per-view id with --option ppv=on)") var user: String?
        @Option(name: "option", help: "Scheme option key=value; repeat for several (see docs/DELIVERY.md)") var option: String?
    }

    var help: String { "Prints a signed stream URL (--scheme, --secret, --url; see docs/DELIVERY.md for --option keys)." }

    /// ConsoleKit reads an option once; `--option` may be repeated, so its values are taken out
    /// of the input before the signature is parsed.
    func run(using context: inout CommandContext) async throws {
        var pairs: [String] = []
        var rest: [String] = []
        var args = context.input.arguments[...]
        while let arg = args.popFirst() {
            if arg == "--option" {
                guard let value = args.popFirst() else { throw DomainError.validation(["option": "needs key=value"]) }
                pairs.append(value)
            } else if arg.hasPrefix("--option=") {
                pairs.append(String(arg.dropFirst("--option=".count)))
            } else {
                rest.append(arg)
            }
        }
        context.input.arguments = rest
        let signature = try Signature(from: &context.input)
        guard context.input.arguments.isEmpty else {
            throw CommandError.unknownInput(context.input.arguments.joined(separator: " "))
        }
        try sign(context: context, signature: signature, pairs: pairs)
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        try sign(context: context, signature: signature, pairs: [])
    }

    private func sign(context: CommandContext, signature: Signature, pairs: [String]) throws {
        var missing = FieldErrors()
        if signature.scheme == nil { missing.add("scheme", "is required (nginx, flussonic, wowza, nimble or akamai)") }
        if signature.secret == nil { missing.add("secret", "is required") }
        if signature.url == nil { missing.add("url", "is required") }
        do {
            try missing.throwIfAny()
            guard let scheme = StreamTokenScheme(rawValue: signature.scheme!.lowercased()) else {
                throw DomainError.validation(["scheme": "must be nginx, flussonic, wowza, nimble or akamai"])
            }
            let options = try StreamTokenOptions(scheme: scheme, pairs: pairs)
            let setting = StreamTokenSetting(scheme: scheme, secret: signature.secret!, lifetimeSeconds: signature.ttl ?? 3600,
                                             bindClientIP: signature.ip != nil, parameterName: signature.param, options: options)
            let now = signature.now.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date()
            let signed = try StreamSigner.sign(url: signature.url!, setting: setting, clientIP: signature.ip, now: now, userID: signature.user)
            context.console.print(signed)
        } catch let e as DomainError {
            context.console.error(e.flashText)
            throw e
        }
    }
}
