import Foundation
import Testing

@testable import CairnCLI

/// Where `cairn generate` writes, without AWS: the package written all or nothing, its name kept clear of Cairn's own
/// targets, its dependency on Cairn, and the names and values that would break the Swift or the comments it writes.
@Suite struct GenerateDestinationTests {
    let parent: URL

    init() throws {
        parent = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-generate-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    }

    func contents(_ url: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }

    @Test func aPackageIsWrittenWholeWithNothingLeftBesideIt() throws {
        let root = parent.appendingPathComponent("deep/er/infra")
        try PackageWriter.writeDirectory(root, [("Package.swift", "// p\n"), ("Sources/infra/main.swift", "// m\n")])
        #expect(try String(contentsOf: root.appendingPathComponent("Sources/infra/main.swift"), encoding: .utf8) == "// m\n")
        #expect(contents(root.deletingLastPathComponent()) == ["infra"], "no staging directory left beside it")
    }

    /// A failure after some files were written (here a path under a file) leaves nothing: not the package, not the
    /// directory it was staged in, not the parents it created.
    @Test func aFailureMidwayLeavesNothing() throws {
        let root = parent.appendingPathComponent("new/infra")
        let error = #expect(throws: CLIError.self) {
            try PackageWriter.writeDirectory(root, [("Package.swift", "// p\n"), ("Package.swift/impossible.swift", "// x\n")])
        }
        #expect(error?.description.hasPrefix("Writing the package at \(root.path) failed (") == true, "\(String(describing: error))")
        #expect(error?.description.contains("so nothing was written") == true)
        #expect(contents(parent).isEmpty, "\(contents(parent))")

        // Into a directory that exists, holding a .git: that stays, and nothing else is left.
        let existing = parent.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: existing.appendingPathComponent(".git"), withIntermediateDirectories: true)
        #expect(throws: CLIError.self) {
            try PackageWriter.writeDirectory(existing, [("Package.swift", "// p\n"), ("Package.swift/impossible.swift", "// x\n")])
        }
        #expect(contents(existing) == [".git"])
        #expect(contents(parent) == ["repo"])
    }

    @Test func anEmptyDirectoryOrOneHoldingOnlyHiddenEntriesTakesThePackage() throws {
        let empty = parent.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try PackageWriter.writeDirectory(empty, [("Package.swift", "// p\n")])
        #expect(contents(empty) == ["Package.swift"])

        let repo = parent.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try PackageWriter.writeDirectory(repo, [("Package.swift", "// p\n"), (".gitignore", ".build/\n")])
        #expect(contents(repo) == [".git", ".gitignore", "Package.swift"])
        #expect(contents(parent) == ["empty", "repo"])

        let exists = #expect(throws: CLIError.self) { try PackageWriter.writeDirectory(repo, [(".gitignore", "x")]) }
        #expect(exists?.description.contains(".gitignore exists already, so nothing was written") == true)
    }

    @Test func aStackFileIsWrittenInOneRenameAndNeverOverAnother() throws {
        let file = parent.appendingPathComponent("Stack.swift")
        try PackageWriter.writeFile(file, "let x = 1\n")
        #expect(contents(parent) == ["Stack.swift"])
        let exists = #expect(throws: CLIError.self) { try PackageWriter.writeFile(file, "let y = 2\n") }
        #expect(exists?.description.contains("exists already, so nothing was written") == true)
        #expect(try String(contentsOf: file, encoding: .utf8) == "let x = 1\n")
    }

    /// A package named as one of Cairn's targets or products would not build (SwiftPM refuses two of one name).
    @Test func aPackageNamedLikeOneOfCairnsTargetsIsRenamed() throws {
        for name in ["Cairn", "cairn", "CairnEngine", "stacks"] {
            let destination = try Destination(
                out: parent.appendingPathComponent(name).path, stackName: "app", cairnPath: "/src/cairn", cairnURL: nil)
            #expect(destination.runCommand == "swift run \(name)-infra")
            #expect(destination.renamed?.contains("one of Cairn's own targets") == true)
            #expect(destination.packageManifest("\(name)-infra").contains(".executableTarget(name: \"\(name)-infra\""))
        }
        let plain = try Destination(out: parent.appendingPathComponent("shop").path, stackName: "app", cairnPath: "/src/cairn", cairnURL: nil)
        #expect(plain.runCommand == "swift run shop" && plain.renamed == nil)
    }

    /// Cairn's Package.swift, read as text: every target and product it declares is a name a generated package avoids.
    @Test func theNamesAvoidedAreCairnsOwn() throws {
        let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Package.swift")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"\.(target|executableTarget|systemLibrary|library|executable)\(\s*name: "([^"]+)""#)
        let names = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 2), in: text)!]).lowercased()
        }
        #expect(names.count > 10, "\(names)")
        #expect(Set(names) == Destination.cairnNames, "in Package.swift, not avoided: \(Set(names).subtracting(Destination.cairnNames))")
    }

    /// Without --cairn-path or --cairn-url, the package depends on Cairn's own repository at this version.
    @Test func theDependencyDefaultsToCairnsRepositoryAtThisVersion() throws {
        let destination = try Destination(out: parent.appendingPathComponent("shop").path, stackName: "app", cairnPath: nil, cairnURL: nil)
        #expect(destination.dependency == ".package(url: \"\(Cairn.gitURL)\", from: \"\(Cairn.configuration.version)\")")
        #expect(destination.packageManifest("shop").contains(".product(name: \"Cairn\", package: \"cairn\")"))
        let fork = try Destination(
            out: parent.appendingPathComponent("shop").path, stackName: "app", cairnPath: nil, cairnURL: "git@example.com:me/cairn-fork.git")
        #expect(fork.dependencyName == "cairn-fork")
        let local = try Destination(out: parent.appendingPathComponent("shop").path, stackName: "app", cairnPath: "/src/cairn", cairnURL: nil)
        #expect(local.dependency == ".package(name: \"Cairn\", path: \"/src/cairn\")" && local.dependencyName == "Cairn")
    }

    /// In an existing package, a file that declares the stack's variable already is named before anything is written.
    @Test func aVariableAnotherFileDeclaresIsFound() throws {
        let sources = parent.appendingPathComponent("Sources/infra")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try Data("// swift-tools-version:6.0\n".utf8).write(to: parent.appendingPathComponent("Package.swift"))
        try Data("import Cairn\n\nawait CairnMain.main(stacks: [shop])\n".utf8).write(to: sources.appendingPathComponent("main.swift"))
        try Data("import Cairn\n\npublic let shop = StackDefinition(name: \"shop\")\n".utf8).write(to: sources.appendingPathComponent("Shop.swift"))
        let destination = try Destination(out: parent.path, stackName: "shop", cairnPath: nil, cairnURL: nil)
        #expect(destination.fileDeclaring("shop") == sources.appendingPathComponent("Shop.swift").path)
        #expect(destination.fileDeclaring("shopTwo") == nil)
    }

    @Test func stackNamesAndVariablesAreCheckedAndValuesCannotBreakTheComments() throws {
        #expect(Cairn.Generate.stackNameProblem("small-business_2") == nil)
        #expect(Cairn.Generate.stackNameProblem("2024-app")?.contains("must start with a letter") == true)
        #expect(Cairn.Generate.stackNameProblem("a/b")?.contains("may hold only letters, digits, - and _") == true)
        #expect(Cairn.Generate.stackNameProblem(String(repeating: "a", count: 65)) == "is longer than 64 characters")

        #expect(SwiftIdentifier.isValid("smallBusiness") && SwiftIdentifier.isValid("_x2"))
        let generated =
            "import Cairn\n\nlet shop = StackDefinition(\n) { _ in\n    let shop = ECRRepository(\"shop\")\n}\n\nprivate let shopBuildspec = \"\"\n"
        #expect(SwiftIdentifier.declarations(of: "shop", in: generated) == 1, "a resource's own variable inside is no clash")
        #expect(SwiftIdentifier.declarations(of: "shopBuildspec", in: generated + "public let shopBuildspec = 1\n") == 2)
        for bad in ["default", "import", "self", "2x", "a-b", ""] { #expect(!SwiftIdentifier.isValid(bad), "\(bad)") }

        for text in ["a\nb", "a\rb", "bell\u{7}", "line\u{2028}separator"] { #expect(Cairn.Generate.hasControlCharacters(text), "\(text)") }
        #expect(!Cairn.Generate.hasControlCharacters("small-business é"))
        #expect(throws: (any Error).self) { _ = try Cairn.Generate.parse(["--name-prefix", "x", "--stack", "a\nb"]) }
        #expect(throws: (any Error).self) { _ = try Cairn.Generate.parse(["--tag", "team=a\n// b"]) }
        #expect(throws: (any Error).self) { _ = try Cairn.Generate.parse(["--name-prefix", "x\r"]) }
        _ = try Cairn.Generate.parse(["--name-prefix", "x", "--stack", "small-business"])

        #expect(shellWord("small-business") == "small-business")
        #expect(shellWord("team=web ops") == "'team=web ops'")
        #expect(shellWord("it's") == #"'it'\''s'"#)
    }

    /// Every command that takes the stack's lock reads `--lock-timeout` alike, and refuses a negative one.
    @Test func everyLockTakingCommandRefusesANegativeLockTimeout() throws {
        #expect(try Cairn.StateCommand.Undo.parse(["app", "3", "--lock-timeout", "30"]).lock.timeout == .seconds(30))
        #expect(try Cairn.StateCommand.Remove.parse(["app", "aws_s3_bucket.x"]).lock.timeout == .zero)
        #expect(try Cairn.StateCommand.Move.parse(["app", "a.b", "a.c"]).lock.lockTimeout == 0)
        #expect(try Cairn.StateCommand.Push.parse(["app", "file.db"]).lock.lockTimeout == 0)
        #expect(try Cairn.Apply.parse(["app", "--lock-timeout", "5"]).change.lock.lockTimeout == 5)
        #expect(throws: (any Error).self) { _ = try Cairn.StateCommand.Undo.parse(["app", "3", "--lock-timeout=-1"]) }
        #expect(throws: (any Error).self) { _ = try Cairn.StateCommand.Remove.parse(["app", "a.b", "--lock-timeout=-1"]) }
        #expect(throws: (any Error).self) { _ = try Cairn.StateCommand.Move.parse(["app", "a.b", "a.c", "--lock-timeout=-1"]) }
        #expect(throws: (any Error).self) { _ = try Cairn.StateCommand.Push.parse(["app", "file.db", "--lock-timeout=-1"]) }
        #expect(throws: (any Error).self) { _ = try Cairn.Apply.parse(["app", "--lock-timeout=-1"]) }
    }

    /// The commands `state rm` and `state mv` print reach the same state as the command that printed them.
    @Test func aPrintedCommandNamesTheStateItWasGiven() throws {
        #expect(try StackOptions.parse(["app"]).commandSuffix == "")
        #expect(try StackOptions.parse(["app", "--env", "staging"]).commandSuffix == " --env staging")
        let elsewhere = try StackOptions.parse([
            "app", "--state-dir", "/srv/cairn state", "--backend", "s3://team-state/cairn?region=eu-west-1&kms=alias/x",
        ])
        #expect(elsewhere.commandSuffix == " --state-dir '/srv/cairn state' --backend 's3://team-state/cairn?region=eu-west-1&kms=alias/x'")
    }
}
