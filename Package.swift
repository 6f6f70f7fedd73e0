// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "tvms",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tvms", targets: ["tvms"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", exact: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", exact: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.52.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.32.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.3"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", exact: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", exact: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", exact: "0.9.20"),
    ],
    targets: [
        // Pure rules and value types: no I/O, no Vapor.
        .target(name: "Domain", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Fluent models, migrations, dialect helpers.
        .target(name: "Storage", dependencies: [
            "Domain",
            .product(name: "FluentKit", package: "fluent-kit"),
            .product(name: "SQLKit", package: "sql-kit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
            .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
        ]),
        // Use cases and background jobs; talks to Storage, never to HTTP.
        .target(name: "Services", dependencies: [
            "Domain", "Storage",
            .product(name: "FluentKit", package: "fluent-kit"),
            .product(name: "SQLKit", package: "sql-kit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // HTTP: configure(), routes, controllers, middleware, commands, views.
        .target(name: "App", dependencies: [
            "Domain", "Storage", "Services",
            .product(name: "Vapor", package: "vapor"),
            .product(name: "Fluent", package: "fluent"),
            .product(name: "Leaf", package: "leaf"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "tvms", dependencies: ["App"]),
        // Benchmarks (scripts/bench/*.sh): programs with numbers, never timed tests.
        .executableTarget(name: "tvms-bench", dependencies: [
            "App", "Services", "Storage", "Domain",
            .product(name: "Vapor", package: "vapor"),
            .product(name: "Fluent", package: "fluent"),
        ]),
        .testTarget(name: "DomainTests", dependencies: ["Domain"]),
        .testTarget(name: "AppTests", dependencies: [
            "App", "Services", "Storage", "Domain",
            .product(name: "VaporTesting", package: "vapor"),
            .product(name: "Fluent", package: "fluent"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
    ]
)
