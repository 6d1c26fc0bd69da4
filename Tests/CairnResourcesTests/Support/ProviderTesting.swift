import CairnAWS
import CairnEngine
import CairnJSON
import Foundation
import TestSupport
import Testing

@testable import CairnResources

/// A client for the test process's moto server, and unique names so tests never collide.
enum ProviderTesting {
    static func client(region: String = "us-east-1") async throws -> (AWSClient, MotoServer) {
        let moto = try await MotoServer.shared()
        let environment = moto.environment(region: region)
        let configuration = try AWSConfiguration.resolve(environment: environment)
        return (configuration.client(), moto)
    }

    /// A client for the test process's moto server through a new fault proxy (the caller stops it), and that server.
    static func proxiedClient(region: String = "us-east-1") async throws -> (AWSClient, MotoServer, FaultProxy) {
        let moto = try await MotoServer.shared()
        let proxy = try await FaultProxy.start(upstream: moto)
        let configuration = try AWSConfiguration.resolve(environment: proxy.environment(of: moto, region: region))
        return (configuration.client(), moto, proxy)
    }

    /// A lower-case name unique in this test run.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)-\(Int(Date().timeIntervalSince1970) % 100_000)"
    }

    /// A tag list as the aws CLI prints it (`[{"Key": k, "Value": v}]`, or other member names) as a dictionary; a key
    /// listed twice (AWS never does) fails the test.
    static func tags(_ list: JSONValue, key: String = "Key", value: String = "Value") -> [String: String] {
        let pairs = (list.array ?? []).map { ($0[key].string ?? "", $0[value].string ?? "") }
        #expect(Set(pairs.map(\.0)).count == pairs.count, "one tag per key: \(pairs)")
        return Dictionary(pairs) { first, _ in first }
    }

    /// Resolves a declaration's attributes with no references, as the engine would.
    static func attributes(of declaration: some ResourceDeclaration) -> [String: JSON] { resolved(declaration).attributes }

    /// The attributes as the engine resolves them (no references), and the paths it seals in the state.
    static func resolved(_ declaration: some ResourceDeclaration) -> (attributes: [String: JSON], sensitive: Set<String>) {
        var sensitive = Set<String>()
        var attributes: [String: JSON] = [:]
        for (key, value) in declaration.attributes { attributes[key] = value.resolve(path: key, sensitivePaths: &sensitive) { _ in nil } }
        return (attributes, sensitive)
    }
}
