import Crypto
import Foundation

// Stream-URL signing: the schemes that let a streaming edge check a play URL with a shared
// secret, without calling TVMS back. Formats are exactly what the servers expect
// (spec clients-and-protocols.md §5; docs/DELIVERY.md lists the strings hashed). Everything
// here is a pure function of the URL, the setting, the client address and the instant, so the
// same call gives the same URL in tests, on every node, and in `tvms tokens sign`.

/// The edge that checks the token.
public enum StreamTokenScheme: String, CaseIterable, Codable, Sendable {
    /// nginx `ngx_http_secure_link_module` (`secure_link` + `secure_link_md5`).
    case nginx
    /// Flussonic `securetoken://` (and Cesbo Astra's compatible variant).
    case flussonic
    /// Wowza Streaming Engine SecureToken version 2.
    case wowza
    /// Nimble Streamer / WMSPanel "WMSAuth" hotlink protection (`wmsAuthSign`).
    case nimble
    /// Akamai EdgeAuth / Auth Token 2.0.
    case akamai

    /// The query parameter that carries the token when the setting names none. nginx and Wowza
    /// use several parameters, named in their options instead.
    public var defaultParameterName: String? {
        switch self {
        case .nginx, .wowza: nil
        case .flussonic: "token"
        case .nimble: "wmsAuthSign"
        case .akamai: "hdnts"
        }
    }
}

/// How one deployment signs stream URLs for one kind of edge. Only the options of `scheme` are
/// read; the others keep their defaults.
public struct StreamTokenSetting: Codable, Equatable, Sendable {
    public var scheme: StreamTokenScheme
    /// The shared secret as the edge is configured with it (Akamai: the hex key).
    public var secret: String
    /// How long a signed URL stays valid: the token expires at `now + lifetimeSeconds`.
    public var lifetimeSeconds: Int
    /// Whether the token is valid only from the client address it was made for.
    public var bindClientIP: Bool
    /// The query parameter that carries the token (`token`, `wmsAuthSign`, `hdnts`); nil means
    /// the scheme's default. Not used by nginx and Wowza (see their options).
    public var parameterName: String?
    public var options: StreamTokenOptions

    public init(scheme: StreamTokenScheme, secret: String, lifetimeSeconds: Int, bindClientIP: Bool,
                parameterName: String? = nil, options: StreamTokenOptions = .init()) {
        self.scheme = scheme
        self.secret = secret
        self.lifetimeSeconds = lifetimeSeconds
        self.bindClientIP = bindClientIP
        self.parameterName = parameterName
        self.options = options
    }

    public var effectiveParameterName: String? { parameterName ?? scheme.defaultParameterName }

    /// Throws a `DomainError.validation` naming every field that the edge would not accept, so
    /// a settings form can show them all at once. `sign` calls it too.
    public func validate() throws {
        var errors = FieldErrors()
        if secret.isEmpty { errors.add("secret", "must not be empty") }
        if lifetimeSeconds <= 0 { errors.add("lifetimeSeconds", "must be a positive number of seconds") }
        if let name = parameterName, !StreamSigner.isQueryName(name) {
            errors.add("parameterName", "must be letters, digits, '_', '-' or '.'")
        }
        switch scheme {
        case .nginx:
            let o = options.nginx
            do {
                let names = try StreamSigner.nginxVariables(o.expression)
                if !names.contains("secret") { errors.add("options.expression", "must contain $secret, or the link would not be signed") }
                if !names.contains("secure_link_expires") { errors.add("options.expression", "must contain $secure_link_expires, or the link would never expire") }
                if bindClientIP != names.contains("remote_addr") {
                    errors.add("options.expression", bindClientIP
                        ? "must contain $remote_addr when the link is bound to the client IP"
                        : "contains $remote_addr: bind the link to the client IP, or remove $remote_addr")
                }
            } catch let e as DomainError {
                errors.add("options.expression", e.message)
            }
            for (field, name) in [("options.hashParameter", o.hashParameter), ("options.expiresParameter", o.expiresParameter)] where !StreamSigner.isQueryName(name) {
                errors.add(field, "must be letters, digits, '_', '-' or '.'")
            }
            if o.hashParameter == o.expiresParameter { errors.add("options.expiresParameter", "must differ from the hash parameter") }
        case .flussonic:
            if let salt = options.flussonic.salt, salt.isEmpty || salt.contains("-") {
                errors.add("options.salt", "must be non-empty and without '-' (the token's separator)")
            }
            if let stream = options.flussonic.streamName, stream.isEmpty { errors.add("options.streamName", "must not be empty") }
        case .wowza:
            let o = options.wowza
            if !StreamSigner.isQueryName(o.prefix) { errors.add("options.prefix", "must be letters, digits, '_', '-' or '.'") }
            for name in o.customParameters.keys where !StreamSigner.isQueryName(name) || ["starttime", "endtime", "hash"].contains(name) {
                errors.add("options.customParameters", "'\(name)' is not a usable parameter name")
            }
        case .nimble:
            if let minutes = options.nimble.validMinutes, minutes <= 0 { errors.add("options.validMinutes", "must be a positive number of minutes") }
        case .akamai:
            let o = options.akamai
            if secret.count % 2 != 0 || !secret.allSatisfy(\.isHexDigit) {
                errors.add("secret", "must be the Akamai key: an even-length hexadecimal string")
            }
            for (field, value) in [("options.acl", o.acl), ("options.salt", o.salt), ("options.sessionID", o.sessionID)] {
                if let value, value.isEmpty || value.contains("~") { errors.add(field, "must be non-empty and without '~' (the token's field separator)") }
            }
        }
        try errors.throwIfAny()
    }
}

/// Per-scheme options, each with the default its vendor documents.
public struct StreamTokenOptions: Codable, Equatable, Sendable {
    public var nginx = Nginx()
    public var flussonic = Flussonic()
    public var wowza = Wowza()
    public var nimble = Nimble()
    public var akamai = Akamai()

    public init() {}

    public struct Nginx: Codable, Equatable, Sendable {
        /// The edge's `secure_link_md5` expression, with the secret written as `$secret`.
        /// Understood variables: `$secure_link_expires`, `$uri`, `$remote_addr`, `$secret`.
        public var expression = "$secure_link_expires$uri$remote_addr $secret"
        /// The parameters the edge's `secure_link $arg_st,$arg_e;` reads.
        public var hashParameter = "st"
        public var expiresParameter = "e"
        /// What `$uri` stands for: the whole path, or its directory (for HLS, so that one token
        /// covers the playlist and its segments; the edge then hashes the directory too).
        public var scope: PathScope = .path
        public init() {}
    }

    public struct Flussonic: Codable, Equatable, Sendable {
        /// Fixed salt; nil derives one per token from the secret and the token's inputs
        /// (Flussonic wants a random one; a derived one is as unpredictable and keeps `sign` pure).
        public var salt: String?
        /// The stream name to hash; nil takes it from the URL path (see `StreamSigner`).
        public var streamName: String?
        /// Hash the whole URL path instead of the stream name (Cesbo Astra's variant).
        public var hashPath = false
        /// `starttime` is this far before now, for clocks that disagree (Flussonic's example: 300).
        public var startLeewaySeconds = 300
        public init() {}
    }

    public struct Wowza: Codable, Equatable, Sendable {
        /// The application's "Hash query parameter prefix".
        public var prefix = "wowzatoken"
        public var algorithm: WowzaAlgorithm = .sha256
        /// Extra public parameters (names without the prefix), hashed and sent along.
        public var customParameters: [String: String] = [:]
        public init() {}
    }

    public struct Nimble: Codable, Equatable, Sendable {
        /// nil: the setting's lifetime in whole minutes, rounded up.
        public var validMinutes: Int?
        /// Bind the token to the stream (`app/stream`, from the URL path) as well.
        public var signedStream = false
        /// Pay-per-view: the `userID` given to `sign` is hashed (after the IP) and sent as `id=`,
        /// the viewer id Nimble reports to the pay-per-view handler (and `checkip=true` when the
        /// link is bound to the client IP), as Softvelum's pay-per-view signatures do.
        public var payPerView = false
        public init() {}
    }

    public struct Akamai: Codable, Equatable, Sendable {
        public var algorithm: AkamaiAlgorithm = .sha256
        public var tokenType: AkamaiTokenType = .acl
        /// ACL token pattern (`*` and `?` wildcards, several joined with `!`); nil = the URL's
        /// directory followed by `/*`, which covers a playlist and its segments.
        public var acl: String?
        /// Hashed but never sent; the edge must be configured with the same salt.
        public var salt: String?
        /// Sent as `id=`; a `userID` given to `sign` takes its place.
        public var sessionID: String?
        public init() {}
    }

    public enum PathScope: String, Codable, Sendable { case path, directory }
    public enum WowzaAlgorithm: String, Codable, Sendable { case sha256, sha384, sha512 }
    public enum AkamaiAlgorithm: String, Codable, Sendable { case sha256, sha1, md5 }
    public enum AkamaiTokenType: String, Codable, Sendable { case acl, url }

    /// Options from `key=value` texts (the CLI's `--option`), keys as in docs/DELIVERY.md. Keys
    /// of another scheme are refused, so a typo never silently signs with a default.
    public init(scheme: StreamTokenScheme, pairs: [String]) throws {
        self.init()
        var errors = FieldErrors()
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "=") else { errors.add(pair, "must be key=value"); continue }
            let key = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            func int() -> Int? {
                if let n = Int(value), n >= 0 { return n }
                errors.add(key, "must be a whole number")
                return nil
            }
            func bool() -> Bool? {
                switch value.lowercased() {
                case "1", "true", "yes", "on": return true
                case "0", "false", "no", "off": return false
                default: errors.add(key, "must be on or off"); return nil
                }
            }
            func choice<T: RawRepresentable>(_ type: T.Type, _ allowed: String) -> T? where T.RawValue == String {
                if let v = T(rawValue: value.lowercased()) { return v }
                errors.add(key, "must be one of \(allowed)")
                return nil
            }
            switch (scheme, key) {
            case (.nginx, "expression"): nginx.expression = value
            case (.nginx, "hash_param"): nginx.hashParameter = value
            case (.nginx, "expires_param"): nginx.expiresParameter = value
            case (.nginx, "scope"): if let v = choice(PathScope.self, "path, directory") { nginx.scope = v }
            case (.flussonic, "salt"): flussonic.salt = value
            case (.flussonic, "stream"): flussonic.streamName = value
            case (.flussonic, "hash_path"): if let v = bool() { flussonic.hashPath = v }
            case (.flussonic, "start_leeway"): if let v = int() { flussonic.startLeewaySeconds = v }
            case (.wowza, "prefix"): wowza.prefix = value
            case (.wowza, "algorithm"): if let v = choice(WowzaAlgorithm.self, "sha256, sha384, sha512") { wowza.algorithm = v }
            case (.wowza, let k) where k.hasPrefix("param."): wowza.customParameters[String(k.dropFirst(6))] = value
            case (.nimble, "valid_minutes"): if let v = int() { nimble.validMinutes = v }
            case (.nimble, "signed_stream"): if let v = bool() { nimble.signedStream = v }
            case (.nimble, "ppv"): if let v = bool() { nimble.payPerView = v }
            case (.akamai, "algorithm"): if let v = choice(AkamaiAlgorithm.self, "sha256, sha1, md5") { akamai.algorithm = v }
            case (.akamai, "type"): if let v = choice(AkamaiTokenType.self, "acl, url") { akamai.tokenType = v }
            case (.akamai, "acl"): akamai.acl = value
            case (.akamai, "salt"): akamai.salt = value
            case (.akamai, "session_id"): akamai.sessionID = value
            default: errors.add(key, "is not an option of the \(scheme.rawValue) scheme")
            }
        }
        try errors.throwIfAny()
    }
}

/// Signs play URLs. Pure: the instant comes from the caller.
public enum StreamSigner {
    /// The URL with the scheme's token added to its query (`?` or `&` as the URL needs; a
    /// fragment stays last; parameters of an earlier token with the same names are replaced).
    ///
    /// - Parameters:
    ///   - url: absolute (`https://edge/live/ch1/index.m3u8`, `rtmp://…`) or a path (`/live/…`).
    ///   - clientIP: the player's address as the edge will see it; required when the setting
    ///     binds to the client IP, ignored otherwise.
    ///   - now: the token is valid from now until `now + setting.lifetimeSeconds`.
    ///   - userID: the subscriber or session identity, for the schemes that carry one
    ///     (Flussonic `user_id` for its session limiter, Akamai `id=`); ignored by the others.
    public static func sign(url: String, setting: StreamTokenSetting, clientIP: String?, now: Date, userID: String? = nil) throws -> String {
        try setting.validate()
        var parts = try URLParts(url)
        var errors = FieldErrors()
        var ip = ""
        if setting.bindClientIP {
            if let given = clientIP?.trimmingBlanksFast, !given.isEmpty { ip = given }
            else { errors.add("clientIP", "is required: the setting binds links to the client IP") }
        }
        if let userID, userID.isEmpty || (setting.scheme == .akamai && userID.contains("~")) || (setting.scheme == .nimble && userID.contains("&")) {
            errors.add("userID", "must be non-empty (and without '~' for Akamai, '&' for Nimble)")
        }
        try errors.throwIfAny()

        let start = Int64(now.timeIntervalSince1970.rounded(.down))
        let expires = start + Int64(setting.lifetimeSeconds)
        let secret = setting.secret
        let param = setting.effectiveParameterName ?? ""
        var added: [(String, String)] = []

        switch setting.scheme {
        case .nginx:
            let o = setting.options.nginx
            let uri = o.scope == .directory ? directory(of: parts.decodedPath) : parts.decodedPath
            let text = try substituteNginx(o.expression, values: [
                "secure_link_expires": String(expires), "uri": uri, "remote_addr": ip, "secret": secret,
            ])
            added = [(o.hashParameter, base64url(Insecure.MD5.hash(data: Data(text.utf8)), padded: false)),
                     (o.expiresParameter, String(expires))]

        case .flussonic:
            let o = setting.options.flussonic
            let stream = o.hashPath ? parts.decodedPath : (o.streamName ?? flussonicStreamName(parts.decodedPath))
            let begin = start - Int64(o.startLeewaySeconds)
            let salt = o.salt ?? derivedSalt(secret: secret, inputs: [stream, ip, String(begin), String(expires), userID ?? ""])
            let text = stream + ip + String(begin) + String(expires) + secret + salt + (userID ?? "")
            let hash = Hex.encode(Insecure.SHA1.hash(data: Data(text.utf8)))
            added = [(param, "\(hash)-\(salt)-\(expires)-\(begin)")]
            if let userID { added.append(("user_id", userID)) }

        case .wowza:
            let o = setting.options.wowza
            let prefix = o.prefix
            let ours = Set(["starttime", "endtime", "hash"].map { prefix + $0 })
            // Every prefixed public parameter is part of the hash, including any the URL brings.
            var pub = parts.query.filter { $0.0.hasPrefix(prefix) && !ours.contains($0.0) }
            pub += o.customParameters.map { (prefix + $0.key, $0.value) }
            pub += [(prefix + "starttime", String(start)), (prefix + "endtime", String(expires))]
            let names = Set(pub.map(\.0))
            parts.query.removeAll { names.contains($0.0) }
            var items = pub.map { "\($0.0)=\($0.1)" } + [secret]
            if !ip.isEmpty { items.append(ip) }
            // Wowza sorts the whole list by code point (IP and secret included), not by name.
            items.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            let text = wowzaContentPath(parts.decodedPath) + "?" + items.joined(separator: "&")
            let digest: Data
            switch o.algorithm {
            case .sha256: digest = Data(SHA256.hash(data: Data(text.utf8)))
            case .sha384: digest = Data(SHA384.hash(data: Data(text.utf8)))
            case .sha512: digest = Data(SHA512.hash(data: Data(text.utf8)))
            }
            added = pub.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
                + [(prefix + "hash", base64url(digest, padded: true))]

        case .nimble:
            let o = setting.options.nimble
            let minutes = o.validMinutes ?? (setting.lifetimeSeconds + 59) / 60
            let serverTime = nimbleServerTime(start)
            let stream = o.signedStream ? directory(of: parts.decodedPath).trimmingPrefix("/") : ""
            let id = o.payPerView ? (userID ?? "") : ""
            let text = ip + id + secret + serverTime + String(minutes) + stream
            let hash = Data(Insecure.MD5.hash(data: Data(text.utf8))).base64EncodedString()
            var signature = "server_time=\(serverTime)&hash_value=\(hash)&validminutes=\(minutes)"
            if o.signedStream { signature += "&strm_len=\(stream.utf8.count)" }
            if o.payPerView && !id.isEmpty {
                signature += "&id=\(id)"
                if setting.bindClientIP { signature += "&checkip=true" }
            }
            added = [(param, Data(signature.utf8).base64EncodedString())]

        case .akamai:
            let o = setting.options.akamai
            var fields: [String] = []
            if !ip.isEmpty { fields.append("ip=\(ip)") }
            fields.append("exp=\(expires)")
            if o.tokenType == .acl { fields.append("acl=\(o.acl ?? directory(of: parts.path) + "/*")") }
            if let id = userID ?? o.sessionID { fields.append("id=\(id)") }
            // A URL token hashes the path but does not carry it: the edge takes it from the request.
            var hashed = fields
            if o.tokenType == .url { hashed.append("url=\(parts.path)") }
            if let salt = o.salt { hashed.append("salt=\(salt)") }
            let key = SymmetricKey(data: try hexBytes(secret))
            let message = Data(hashed.joined(separator: "~").utf8)
            let mac: String
            switch o.algorithm {
            case .sha256: mac = Hex.encode(HMAC<SHA256>.authenticationCode(for: message, using: key))
            case .sha1: mac = Hex.encode(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
            case .md5: mac = Hex.encode(HMAC<Insecure.MD5>.authenticationCode(for: message, using: key))
            }
            added = [(param, (fields + ["hmac=\(mac)"]).joined(separator: "~"))]
        }

        let names = Set(added.map(\.0))
        parts.query.removeAll { names.contains($0.0) }
        parts.query += added.map { ($0.0, queryEscaped($0.1)) }
        return parts.joined
    }

    // MARK: - URL handling

    /// A URL cut into the pieces signing needs, without normalising anything else: the signed
    /// URL is the given one plus the token.
    struct URLParts {
        var head: String          // scheme://authority (empty for a bare path)
        var path: String          // as written, "/" when empty
        var query: [(String, String)]  // raw (still escaped) name/value pairs, in order
        var fragment: String?

        init(_ url: String) throws {
            // Byte scanning where the URL is plain ASCII (it nearly always is): this runs on every
            // playback request, and Character and Foundation scanning cost more than the signing.
            let trimmed = url.trimmingBlanksFast
            let plain = trimmed.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
            guard !trimmed.isEmpty, plain || !trimmed.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw DomainError.validation(["url": "must be a URL without spaces"])
            }
            var rest = Substring(trimmed)
            if let hash = rest.utf8.firstIndex(of: UInt8(ascii: "#")) { fragment = String(rest[rest.index(after: hash)...]); rest = rest[..<hash] } else { fragment = nil }
            var queryText: Substring = ""
            if let q = rest.utf8.firstIndex(of: UInt8(ascii: "?")) { queryText = rest[rest.index(after: q)...]; rest = rest[..<q] }
            if let authorityStart = Self.afterSchemeSeparator(rest) {
                let slash = rest[authorityStart...].utf8.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
                guard slash > authorityStart else { throw DomainError.validation(["url": "has no host"]) }
                head = String(rest[..<slash])
                path = slash == rest.endIndex ? "/" : String(rest[slash...])
            } else {
                guard rest.hasPrefix("/") else { throw DomainError.validation(["url": "must be absolute (scheme://host/path) or start with /"]) }
                head = ""
                path = String(rest)
            }
            query = queryText.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { bytes in
                let item = Substring(bytes)
                if let eq = item.utf8.firstIndex(of: UInt8(ascii: "=")) { return (String(item[..<eq]), String(item[item.index(after: eq)...])) }
                return (String(item), "")
            }
        }

        /// The path as the edge sees it after decoding (`$uri` in nginx is decoded).
        var decodedPath: String { path.utf8.contains(UInt8(ascii: "%")) ? (path.removingPercentEncoding ?? path) : path }

        /// Where the authority starts: just after the first "://", if any.
        static func afterSchemeSeparator(_ s: Substring) -> Substring.Index? {
            let u = s.utf8
            var i = u.startIndex
            while let colon = u[i...].firstIndex(of: UInt8(ascii: ":")) {
                let a = u.index(after: colon)
                if a < u.endIndex, u[a] == UInt8(ascii: "/") {
                    let b = u.index(after: a)
                    if b < u.endIndex, u[b] == UInt8(ascii: "/") { return u.index(after: b) }
                }
                i = a
            }
            return nil
        }

        var joined: String {
            var out = head + path
            if !query.isEmpty { out += "?" + query.map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }.joined(separator: "&") }
            if let fragment { out += "#" + fragment }
            return out
        }
    }

    /// The path without its last component and without a trailing slash (`/live/ch1/index.m3u8`
    /// → `/live/ch1`); "" for a file at the root.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// Whether a path component names a manifest or media file the edge serves for a stream,
    /// rather than being part of the stream's own name.
    static func isDeliveryFile(_ component: Substring) -> Bool {
        component.contains(".") || ["mpegts", "manifest", "embed.html"].contains(component.lowercased())
    }

    /// Flussonic URLs are `/<stream>/<file>` where a stream name may itself contain slashes.
    static func flussonicStreamName(_ path: String) -> String {
        var parts = path.split(separator: "/")
        if let last = parts.last, parts.count > 1 || last.contains("."), isDeliveryFile(last) { parts.removeLast() }
        return parts.joined(separator: "/")
    }

    /// Wowza hashes application/[instance/]stream: for HLS and DASH the path up to the stream
    /// name (`vod/sample.mp4/playlist.m3u8` → `vod/sample.mp4`), for RTMP/RTSP the whole path.
    static func wowzaContentPath(_ path: String) -> String {
        var parts = path.split(separator: "/")
        if parts.count > 1, let last = parts.last, last.hasSuffix(".m3u8") || last.hasSuffix(".mpd") || last.hasSuffix(".f4m") || last.lowercased() == "manifest" {
            parts.removeLast()
        }
        return parts.joined(separator: "/")
    }

    static func isQueryName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
        }
    }

    /// Query values as the edges read them: token alphabets pass unchanged (`/`, `=`, `~`, `!`,
    /// `*`, `+`, `:` are legal in a query), everything that would end or break the parameter is
    /// percent-encoded.
    static func queryEscaped(_ value: String) -> String {
        // Most tokens (hex, digits, base64) need no escaping: skip Foundation for them.
        if value.utf8.allSatisfy({ c in (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || "-._~=/+:".utf8.contains(c) }) {
            return value
        }
        return value.addingPercentEncoding(withAllowedCharacters: queryValueAllowed) ?? value
    }

    static let queryValueAllowed: CharacterSet = {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&#")
        allowed.insert(charactersIn: "+")
        return allowed
    }()

    // MARK: - nginx expressions

    /// Names of the `$variables` an nginx expression uses (`$name` or `${name}`). Variables we
    /// cannot know (`$host`, `$http_…`) are refused rather than hashed as text.
    static func nginxVariables(_ expression: String) throws -> [String] {
        try nginxTokens(expression).compactMap { if case .variable(let v) = $0 { v } else { nil } }
    }

    enum NginxToken: Equatable { case text(String), variable(String) }

    static let nginxKnownVariables: Set<String> = ["secure_link_expires", "uri", "remote_addr", "secret"]

    static func nginxTokens(_ expression: String) throws -> [NginxToken] {
        var out: [NginxToken] = []
        var text = ""
        let chars = Array(expression)
        var i = 0
        func isNameChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
        while i < chars.count {
            guard chars[i] == "$" else { text.append(chars[i]); i += 1; continue }
            var name = ""
            if i + 1 < chars.count, chars[i + 1] == "{" {
                var j = i + 2
                while j < chars.count, chars[j] != "}" { name.append(chars[j]); j += 1 }
                guard j < chars.count else { throw DomainError(.invalid, code: "bad_expression", "An nginx variable starting with ${ is not closed.") }
                i = j + 1
            } else {
                var j = i + 1
                while j < chars.count, isNameChar(chars[j]) { name.append(chars[j]); j += 1 }
                i = j
            }
            guard nginxKnownVariables.contains(name) else {
                throw DomainError(.invalid, code: "bad_expression",
                                  "The nginx expression uses $\(name); only $secure_link_expires, $uri, $remote_addr and $secret can be filled in.")
            }
            if !text.isEmpty { out.append(.text(text)); text = "" }
            out.append(.variable(name))
        }
        if !text.isEmpty { out.append(.text(text)) }
        return out
    }

    static func substituteNginx(_ expression: String, values: [String: String]) throws -> String {
        try nginxTokens(expression).map { token in
            switch token {
            case .text(let t): t
            case .variable(let v): values[v] ?? ""
            }
        }.joined()
    }

    // MARK: - Encodings


    static func base64url(_ digest: some Digest, padded: Bool) -> String { base64url(Data(digest), padded: padded) }

    static func base64url(_ data: Data, padded: Bool) -> String {
        let s = data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return padded ? s : s.replacingOccurrences(of: "=", with: "")
    }

    static func hexBytes(_ text: String) throws -> Data {
        var out = Data(capacity: text.count / 2)
        var iterator = text.utf8.makeIterator()
        while let hi = iterator.next() {
            guard let lo = iterator.next(), let h = hexValue(hi), let l = hexValue(lo) else {
                throw DomainError.validation(["secret": "must be the Akamai key: an even-length hexadecimal string"])
            }
            out.append(h << 4 | l)
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Eight hex digits keyed by the secret: unique per stream, client, time window and user,
    /// and unguessable without the secret, which is all Flussonic's random salt is for.
    static func derivedSalt(secret: String, inputs: [String]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(inputs.joined(separator: "\u{1F}").utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return String(Hex.encode(mac).prefix(8))
    }

    /// WMSAuth's `server_time`: UTC in PHP's `n/j/Y g:i:s A` (`5/4/2012 8:33:05 AM`), computed
    /// without a formatter so no locale or calendar setting can change it.
    static func nimbleServerTime(_ unix: Int64) -> String {
        let t = UTCTime(unix)
        let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
        return "\(t.month)/\(t.day)/\(t.year) \(hour12):\(UTCTime.two(t.minute)):\(UTCTime.two(t.second)) \(t.hour < 12 ? "AM" : "PM")"
    }
}

private extension String {
    func trimmingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
