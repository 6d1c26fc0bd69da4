import CairnEngine
import Foundation
import Testing

/// The state key file (`<stateDir>/.cairn-state.key`): created private, refused when others may use it.
@Suite struct StateKeyFileTests {
    private func makeStateDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-key-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The message `StateCodec.load` refuses the key with.
    private func refusal(stateDir: URL, create: Bool, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        do {
            _ = try StateCodec.load(environment: [:], stateDir: stateDir, create: create)
            Issue.record("the key file was accepted", sourceLocation: sourceLocation)
        } catch let error as StateKeyError {
            return error.message
        } catch {
            Issue.record("expected a StateKeyError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    private func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    @Test func aNewKeyFileIsPrivateAndItsDirectoryToo() throws {
        let parent = try makeStateDir()
        defer { try? FileManager.default.removeItem(at: parent) }
        let stateDir = parent.appendingPathComponent("state", isDirectory: true)
        let created = try StateCodec.load(environment: [:], stateDir: stateDir, create: true)
        let file = stateDir.appendingPathComponent(".cairn-state.key").path
        #expect(try mode(file) == 0o600)
        #expect(try mode(stateDir.path) == 0o700)
        // Loading again reads the same key rather than making a new one.
        let sealed = try created.encode(["password": "hunter2"], sensitivePaths: ["password"], address: "a.b")
        let reloaded = try StateCodec.load(environment: [:], stateDir: stateDir, create: true)
        #expect(try reloaded.decode(sealed, address: "a.b").attributes["password"] == "hunter2")
    }

    @Test(arguments: [(0o644, "readable"), (0o640, "readable"), (0o604, "readable"), (0o620, "writable"), (0o602, "writable")])
    func aKeyFileOthersMayUseIsRefusedUnread(mode: Int, access: String) throws {
        let stateDir = try makeStateDir()
        defer { try? FileManager.default.removeItem(at: stateDir) }
        _ = try StateCodec.load(environment: [:], stateDir: stateDir, create: true)
        let file = stateDir.appendingPathComponent(".cairn-state.key")
        let before = try Data(contentsOf: file)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
        for create in [false, true] {
            let octal = "0" + String(mode, radix: 8)
            #expect(
                refusal(stateDir: stateDir, create: create)
                    == "\(file.path) is \(access) by others (mode \(octal)): run `chmod 600 \(file.path)`.")
        }
        #expect(try Data(contentsOf: file) == before)
        #expect(try self.mode(file.path) == mode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: stateDir.path) == [".cairn-state.key"])

        // Once fixed as the message says, it is used again; CAIRN_STATE_KEY never looks at the file.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        _ = try StateCodec.load(environment: ["CAIRN_STATE_KEY": "passphrase"], stateDir: stateDir, create: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        _ = try StateCodec.load(environment: [:], stateDir: stateDir, create: false)
    }

    @Test func theMessageNamesTheKeyFileAsTheStateDirectoryWasGiven() throws {
        let stateDir = try makeStateDir()
        defer { try? FileManager.default.removeItem(at: stateDir) }
        _ = try StateCodec.load(environment: [:], stateDir: stateDir, create: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: stateDir.appendingPathComponent(".cairn-state.key").path)
        let relative = URL(fileURLWithPath: stateDir.lastPathComponent, relativeTo: stateDir.deletingLastPathComponent())
        let path = "\(stateDir.lastPathComponent)/.cairn-state.key"
        #expect(refusal(stateDir: relative, create: false) == "\(path) is readable by others (mode 0644): run `chmod 600 \(path)`.")
    }

    /// A shared state takes its key from CAIRN_STATE_KEY alone: no file is made (or read) on this machine, which the
    /// others sharing the state would lack, and sealing without the variable names it.
    @Test func aSharedStateTakesItsKeyFromTheEnvironmentAlone() throws {
        let stateDir = try makeStateDir()
        _ = try StateCodec.load(environment: [:], stateDir: stateDir, create: true)
        let shared = try StateCodec.load(environment: [:], stateDir: stateDir, create: true, shared: true)
        let error = #expect(throws: StateKeyError.self) {
            try shared.encode(["token": "hunter2"], sensitivePaths: ["token"], address: "aws_ssm_parameter.token")
        }
        #expect(error?.message.hasPrefix("aws_ssm_parameter.token: token is sensitive, and there is no state key") == true)
        #expect(error?.message.contains("set CAIRN_STATE_KEY, the same value wherever this state is used") == true)
        let other = try makeStateDir()
        _ = try StateCodec.load(environment: [:], stateDir: other, create: true, shared: true)
        #expect(!FileManager.default.fileExists(atPath: other.appendingPathComponent(".cairn-state.key").path))
        let keyed = try StateCodec.load(environment: ["CAIRN_STATE_KEY": "team"], stateDir: other, create: true, shared: true)
        let sealed = try keyed.encode(["token": "hunter2"], sensitivePaths: ["token"], address: "a")
        #expect(!sealed.contains("hunter2"))
    }
}
