import ArgumentParser
import CairnAWS
import CairnEngine
import CairnJSON
import CairnResources
import Foundation

extension Cairn {
    /// Writes the Swift stack for resources that already exist (made with the aws CLI or the console), with the ids
    /// that `cairn import STACK --all` adopts them by.
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the Swift stack for existing AWS resources, found by name prefix, tag or id, ready to import.",
            discussion: """
                Finds the resources of the types Cairn declares (--name-prefix, --tag or --ids FILE with `TYPE ID` lines), \
                reads each as plan does, and writes one declaration per resource: attributes as AWS has them (defaults left \
                out), references where one names another, tags shared by all on the stack, and .importing([...]) with their \
                ids. --out DIR writes a package that depends on Cairn (an empty or new directory) or adds the stack file to \
                a package that has a main.swift calling CairnMain.main; without it the file goes to standard output. Then: \
                `swift run NAME import STACK --all`, and `swift run NAME plan STACK` shows no changes. Exits 0 when \
                everything found is declared, 2 when something could not be (listed in the output and atop the file).
                """)

        @Option(help: ArgumentHelp("Take resources whose name (or a /-separated part of it) starts with this (repeatable).", valueName: "PREFIX"))
        var namePrefix: [String] = []
        @Option(help: ArgumentHelp("Take resources carrying this tag.", valueName: "KEY=VALUE")) var tag: String?
        @Option(help: ArgumentHelp("Take the resources listed in this file, one `TYPE ID` a line (aws_iam_role my-role).", valueName: "FILE"))
        var ids: String?
        @Option(help: "The stack's name (default: the name prefix, the tag's value, or `imported`).") var stack: String?
        @Option(help: ArgumentHelp("Write a package there (a new or empty directory), or the stack file into the package there.", valueName: "DIR"))
        var out: String?
        @Option(help: ArgumentHelp("The new package depends on Cairn at this local checkout.", valueName: "PATH")) var cairnPath: String?
        @Option(help: ArgumentHelp("The new package depends on Cairn from this Git URL, at this version of cairn.", valueName: "URL"))
        var cairnURL: String?
        @Flag(help: "Take resources whose ownership tags name another Cairn state (that state must then stop managing them).")
        var takeOwnership = false
        @OptionGroup var aws: AWSOptions

        func validate() throws {
            let filters = [!namePrefix.isEmpty, tag != nil, ids != nil].filter { $0 }.count
            guard filters == 1 else { throw ValidationError("Say which resources to take: one of --name-prefix, --tag or --ids.") }
            if let tag, tag.split(separator: "=", maxSplits: 1).count != 2 { throw ValidationError("--tag takes KEY=VALUE, not '\(tag)'.") }
            if namePrefix.contains(where: \.isEmpty) { throw ValidationError("--name-prefix cannot be empty: it would take every resource.") }
            // Each lands in the file's header comment and in the package's: a line break there would end the comment.
            for (option, value) in namePrefix.map({ ("--name-prefix", $0) }) + [("--tag", tag), ("--stack", stack), ("--ids", ids)]
            where value.map(Self.hasControlCharacters) == true {
                throw ValidationError("\(option) cannot hold a line break or another control character: \(SwiftCode.string(value!)).")
            }
            if let stack, let problem = Self.stackNameProblem(stack) { throw ValidationError("--stack \(stack) \(problem).") }
        }

        /// Whether `text` holds a line break, a tab or another control character.
        static func hasControlCharacters(_ text: String) -> Bool {
            text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }
        }

        /// Why `name` cannot name a stack (its state's directory, its ownership tags, the Swift variable declaring it),
        /// or nil when it can: ASCII letters, digits, `-` and `_`, starting with a letter, at most 64 characters.
        static func stackNameProblem(_ name: String) -> String? {
            guard let first = name.first, first.isASCII, first.isLetter else {
                return "must start with a letter (a-z), as the Swift variable that declares it does"
            }
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                return "may hold only letters, digits, - and _ (it names the state's directory and goes into AWS tags)"
            }
            guard name.count <= 64 else { return "is longer than 64 characters" }
            return nil
        }

        func run() async throws {
            var complete = true
            try await reportingErrors { complete = try await generate() }
            if !complete { throw ExitCode(2) }
        }

        private func generate() async throws -> Bool {
            let filter = try discoveryFilter()
            let stackName = stack ?? defaultStackName(filter)
            let destination = try Destination(out: out, stackName: stackName, cairnPath: cairnPath, cairnURL: cairnURL)
            let configuration = try aws.configuration()
            let region = configuration.region
            let client = configuration.client(region: region, logger: aws.logger)
            do {
                _ = try await client.callerIdentity()
            } catch {
                throw CLIError("No AWS credentials work for region \(region) (\(error)), so nothing was written: check `cairn whoami` and --profile.")
            }
            let generator = StackGenerator(
                providers: awsProviders(client: client), region: region, undeclarable: awsUndeclarableDiscoveries(client: client),
                recorded: try await recordedByStack(stackName))
            let generated: GeneratedStack
            do {
                generated = try await generator.generate(
                    stackName: stackName, filter: filter, command: commandLine(region: region), takeOwnership: takeOwnership)
            } catch let error as GenerateError {
                throw CLIError(error.description.prefix(1).uppercased() + error.description.dropFirst())
            }
            guard SwiftIdentifier.isValid(generated.variable) else {
                throw CLIError(
                    "The stack's name \(stackName) makes the Swift variable `\(generated.variable)`, which Swift reserves, so nothing was written: name the stack otherwise with --stack (\(stackName)-stack, say)."
                )
            }
            // Beside the generated file's own constants (a buildspec's) and, in an existing package, its other files.
            let elsewhere = SwiftIdentifier.declarations(of: generated.variable, in: generated.source) > 1 ? "in the generated file" : nil
            if let place = elsewhere ?? destination.fileDeclaring(generated.variable).map({ "in \($0)" }) {
                throw CLIError(
                    "The stack's variable `\(generated.variable)` is declared already \(place), so nothing was written: name the stack otherwise with --stack."
                )
            }
            let source = SwiftFormat.format(generated.source)
            let written = try destination.write(source, variable: generated.variable)
            report(generated, source: source, stackName: stackName, written: written, destination: destination)
            return generated.isComplete
        }

        /// What the state of the stack `name` records, when this cairn has that stack (generating a stack back from
        /// what it made): the generated stack then plans against that state as the stack does. Empty otherwise.
        private func recordedByStack(_ name: String) async throws -> [StackGenerator.RecordedID: [String: JSON]] {
            guard (try? StackRegistry.definition(named: name)) != nil else { return [:] }
            let context = try await StackContext(try StackOptions.parse([name]), aws: aws, requireVariables: false)
            return try await context.workspace.recordedAttributes(context.stack)
        }

        private func discoveryFilter() throws -> DiscoveryFilter {
            if let tag {
                let parts = tag.split(separator: "=", maxSplits: 1).map(String.init)
                return .tag(key: parts[0], value: parts[1])
            }
            guard let ids else { return .namePrefixes(namePrefix) }
            let text: String
            do { text = try String(contentsOfFile: ids, encoding: .utf8) } catch {
                throw CLIError("The ids file \(ids) cannot be read (\((error as NSError).localizedDescription)): check the path.")
            }
            var pairs: [(type: String, id: String)] = []
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                // A file written on Windows ends its lines with CR LF.
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let fields = trimmed.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard fields.count == 2, fields[0].hasPrefix("aws_"), !fields[1].isEmpty else {
                    throw CLIError("Line \(number + 1) of \(ids) is not `TYPE ID` (like `aws_iam_role my-role`): fix it.")
                }
                guard !Self.hasControlCharacters(trimmed) else {
                    throw CLIError("Line \(number + 1) of \(ids) holds a control character, which no AWS id has: fix it.")
                }
                pairs.append((fields[0], fields[1]))
            }
            guard !pairs.isEmpty else { throw CLIError("\(ids) lists no resources (one `TYPE ID` a line), so nothing was written.") }
            return .ids(pairs)
        }

        private func defaultStackName(_ filter: DiscoveryFilter) -> String {
            let base: String
            switch filter {
            case .namePrefixes(let prefixes): base = prefixes[0]
            case .tag(_, let value): base = value
            case .ids: base = "imported"
            }
            let cleaned = base.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }
            var name = String(String(cleaned).split(separator: "-").joined(separator: "-").prefix(56))
            if name.hasSuffix("-") { name.removeLast() }
            if name.isEmpty { return "imported" }
            // A stack's variable starts with a letter: `2024-app` becomes `stack-2024-app`.
            return name.first!.isLetter ? name : "stack-\(name)"
        }

        /// The command as the file's header quotes it: what chose the resources, not where the file went.
        private func commandLine(region: String) -> String {
            var words = ["cairn", "generate", "--region", region]
            for prefix in namePrefix { words += ["--name-prefix", prefix] }
            if let tag { words += ["--tag", tag] }
            if let ids { words += ["--ids", ids] }
            if let stack { words += ["--stack", stack] }
            return words.map(shellWord).joined(separator: " ")
        }

        private func report(_ generated: GeneratedStack, source: String, stackName: String, written: [String], destination: Destination) {
            // With the file on standard output, everything else goes to standard error.
            func tell(_ text: String) {
                if destination.isStandardOutput { FileHandle.standardError.write(Data((text + "\n").utf8)) } else { say(text) }
            }
            if destination.isStandardOutput { say(source, terminator: "") }
            tell("Declared \(generated.imports.count) resources as stack '\(stackName)'.")
            for path in written { tell("  wrote \(path)") }
            if !generated.secrets.isEmpty {
                tell("Values AWS never returns are read from the environment: set them before plan and apply.")
                for secret in generated.secrets { tell("  \(secret)") }
            }
            if !generated.unexpressed.isEmpty {
                tell("Not declared (listed atop the file too):")
                for line in generated.unexpressed { tell("  \(line)") }
            }
            if !generated.typesNotSearched.isEmpty {
                tell("Not searched (generate does not list these types yet): \(generated.typesNotSearched.joined(separator: ", ")).")
            }
            if let renamed = destination.renamed {
                tell("The package is named \(destination.runCommand.split(separator: " ").last!), since \(renamed).")
            }
            if let line = destination.lineToAdd(generated.variable) { tell(line) }
            let run = destination.runCommand
            let taking = takeOwnership ? " --take-ownership" : ""
            tell("Next: `\(run) import \(stackName) --all\(taking)`, then `\(run) plan \(stackName)` (no changes expected).")
        }
    }
}

/// Where `cairn generate` writes: standard output, a new package, or an existing package's sources.
struct Destination {
    enum Kind {
        case standardOutput
        /// A new package at `root`, named `name`.
        case newPackage(root: URL, name: String)
        /// The directory of an existing package's `main.swift`.
        case existing(sources: URL, main: URL)
    }

    let kind: Kind
    let stackName: String
    /// The new package's `.package(…)` line for Cairn.
    let dependency: String
    /// The package that line names, as `.product(name: "Cairn", package: …)` says it.
    let dependencyName: String
    /// Why the new package is not named after its directory (a name Cairn's own targets take), or nil.
    private(set) var renamed: String?

    init(out: String?, stackName: String, cairnPath: String?, cairnURL: String?) throws {
        self.stackName = stackName
        if let cairnPath {
            let absolute = URL(fileURLWithPath: cairnPath).standardizedFileURL.path
            dependency = ".package(name: \"Cairn\", path: \(SwiftCode.string(absolute)))"
            dependencyName = "Cairn"
        } else {
            // Without either, the project's own repository at this cairn's version.
            let url = cairnURL ?? Cairn.gitURL
            dependency = ".package(url: \(SwiftCode.string(url)), from: \(SwiftCode.string(Cairn.configuration.version)))"
            dependencyName = Self.packageIdentity(url: url)
        }
        guard let out else {
            kind = .standardOutput
            return
        }
        let root = URL(fileURLWithPath: out).standardizedFileURL
        let manager = FileManager.default
        let contents = (try? manager.contentsOfDirectory(atPath: root.path)) ?? []
        if manager.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            let sources = root.appendingPathComponent("Sources")
            let mains = ((try? manager.contentsOfDirectory(atPath: sources.path)) ?? []).sorted().map {
                sources.appendingPathComponent($0).appendingPathComponent("main.swift")
            }.filter { (try? String(contentsOf: $0, encoding: .utf8))?.contains("CairnMain.main") == true }
            guard let main = mains.first else {
                throw CLIError(
                    "\(out) is a package, but none of its Sources/*/main.swift calls CairnMain.main, so nothing was written: add one (see examples/my-infra), or give an empty --out."
                )
            }
            kind = .existing(sources: main.deletingLastPathComponent(), main: main)
        } else if contents.contains(where: { !$0.hasPrefix(".") }) {
            throw CLIError("\(out) is not empty and holds no Package.swift, so nothing was written: give a new or empty directory, or a package's.")
        } else {
            var name = String(root.lastPathComponent.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" })
            if !name.contains(where: { $0.isLetter || $0.isNumber }) { name = "infrastructure" }
            // SwiftPM refuses two targets or products of one name in a package and its dependencies.
            if Self.cairnNames.contains(name.lowercased()) {
                renamed = "\(name) is the name of one of Cairn's own targets, which the package's could not share"
                name += "-infra"
            }
            kind = .newPackage(root: root, name: name)
        }
    }

    /// The names of Cairn's own targets and products (lower-cased), which a package depending on it cannot give its own
    /// (a unit test keeps the list in step with Cairn's Package.swift).
    static let cairnNames: Set<String> = [
        "cairn", "cairnaws", "cairncli", "cairnconcurrency", "cairncrypto", "cairnengine", "cairngraph", "cairnjson", "cairnresources", "cairnsigner",
        "cairnstate", "ccrypto", "csqlite", "stacks", "testsupport", "cairn-fixtures", "cairn-bench-seed-state",
    ]

    /// The identity SwiftPM gives a package fetched from `url`: its last path component, without `.git`.
    static func packageIdentity(url: String) -> String {
        var last = url.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init) ?? "cairn"
        if last.hasSuffix(".git") { last.removeLast(4) }
        return last.isEmpty ? "cairn" : last
    }

    var isStandardOutput: Bool {
        if case .standardOutput = kind { return true }
        return false
    }

    /// How the user runs their package's `cairn`.
    var runCommand: String {
        switch kind {
        case .newPackage(_, let name): return "swift run \(name)"
        case .existing(let sources, _): return "swift run \(sources.lastPathComponent)"
        case .standardOutput: return "cairn"
        }
    }

    /// The file name of the stack: `SmallBusiness.swift`.
    private func fileName(_ variable: String) -> String { variable.prefix(1).uppercased() + variable.dropFirst() + ".swift" }

    /// Writes the stack (and, for a new package, the package around it), all or nothing; returns the paths written.
    func write(_ source: String, variable: String) throws -> [String] {
        switch kind {
        case .standardOutput:
            return []
        case .existing(let sources, _):
            let file = sources.appendingPathComponent(fileName(variable))
            try PackageWriter.writeFile(file, source)
            return [file.path]
        case .newPackage(let root, let name):
            let sources = "Sources/\(name)/"
            let files = [
                ("Package.swift", packageManifest(name)),
                (".gitignore", ".build/\nstate/\n"),
                (".swift-format", SwiftFormat.configuration),
                (
                    sources + "main.swift",
                    "import Cairn\n\n// Every `cairn` subcommand, for this package's stacks: `swift run \(name) plan \(stackName)`.\nawait CairnMain.main(stacks: [\(variable)])\n"
                ),
                (sources + fileName(variable), source),
            ]
            try PackageWriter.writeDirectory(root, files)
            return files.map { root.appendingPathComponent($0.0).path }
        }
    }

    /// For an existing package: the file of its sources that declares a top-level `variable` already, or nil.
    func fileDeclaring(_ variable: String) -> String? {
        guard case .existing(let sources, _) = kind else { return nil }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? []).filter { $0.hasSuffix(".swift") }.sorted()
        for name in files {
            let path = sources.appendingPathComponent(name).path
            if let text = try? String(contentsOfFile: path, encoding: .utf8), SwiftIdentifier.declarations(of: variable, in: text) > 0 {
                return path
            }
        }
        return nil
    }

    /// For an existing package: the line to add to its `main.swift`.
    func lineToAdd(_ variable: String) -> String? {
        guard case .existing(_, let main) = kind else { return nil }
        return "Add \(variable) to the stacks in \(main.path): await CairnMain.main(stacks: [..., \(variable)])"
    }

    func packageManifest(_ name: String) -> String {
        """
        // swift-tools-version:6.0
        import PackageDescription

        // Infrastructure that `cairn generate` found in AWS, declared in Swift: `swift run \(name) plan \(stackName)`.
        let package = Package(
            name: \(SwiftCode.string(name)),
            platforms: [.macOS(.v13)],
            dependencies: [
                \(dependency)
            ],
            targets: [
                .executableTarget(name: \(SwiftCode.string(name)), dependencies: [.product(name: "Cairn", package: \(SwiftCode.string(dependencyName)))])
            ]
        )

        """
    }
}

/// Writes what `cairn generate` made all or nothing: into a directory beside the target first, renamed into place
/// once every file is written, so that a failure (a full disk, a permission) leaves nothing behind.
enum PackageWriter {
    /// Writes `files` (paths relative to `root`) as the new package at `root`, a new directory or an empty one (hidden
    /// entries such as `.git` aside), refusing any that exists already.
    static func writeDirectory(_ root: URL, _ files: [(path: String, text: String)]) throws {
        let manager = FileManager.default
        for (path, _) in files where manager.fileExists(atPath: root.appendingPathComponent(path).path) {
            throw CLIError(
                "\(root.appendingPathComponent(path).path) exists already, so nothing was written: move it away, or name the stack otherwise with --stack."
            )
        }
        let parent = root.deletingLastPathComponent()
        let createdAncestor = try createDirectories(parent)
        let staging = parent.appendingPathComponent(".\(root.lastPathComponent).cairn-generate-\(UUID().uuidString)")
        var placed: [URL] = []
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: false)
            for (path, text) in files {
                let url = staging.appendingPathComponent(path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
            let existing = (try? manager.contentsOfDirectory(atPath: root.path))
            if existing?.isEmpty ?? true {
                // One rename: a new directory, or over an empty one.
                try rename(staging, to: root)
            } else {
                // Beside what the directory holds (a `.git`): each top-level entry renamed in, undone should one fail.
                for entry in try manager.contentsOfDirectory(atPath: staging.path).sorted() {
                    let target = root.appendingPathComponent(entry)
                    guard !manager.fileExists(atPath: target.path) else {
                        throw CLIError("\(target.path) appeared while the package was written")
                    }
                    try rename(staging.appendingPathComponent(entry), to: target)
                    placed.append(target)
                }
                try manager.removeItem(at: staging)
            }
        } catch {
            for url in placed { try? manager.removeItem(at: url) }
            try? manager.removeItem(at: staging)
            if let createdAncestor { try? manager.removeItem(at: createdAncestor) }
            throw CLIError(
                "Writing the package at \(root.path) failed (\(describe(error))), so nothing was written: check the directory and its permissions, then generate again."
            )
        }
    }

    /// Writes the file `url`, a new one, in one rename from a file beside it.
    static func writeFile(_ url: URL, _ text: String) throws {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: url.path) else {
            throw CLIError("\(url.path) exists already, so nothing was written: move it away, or name the stack otherwise with --stack.")
        }
        let staging = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).cairn-generate-\(UUID().uuidString)")
        do {
            try Data(text.utf8).write(to: staging)
            try rename(staging, to: url)
        } catch {
            try? manager.removeItem(at: staging)
            throw CLIError("Writing \(url.path) failed (\(describe(error))), so nothing was written: check the directory's permissions.")
        }
    }

    /// Creates `directory` and any missing parents; returns the outermost one it created (to remove on failure), or nil.
    private static func createDirectories(_ directory: URL) throws -> URL? {
        var missing: URL?
        var candidate = directory
        while !FileManager.default.fileExists(atPath: candidate.path), candidate.path != "/" {
            missing = candidate
            candidate = candidate.deletingLastPathComponent()
        }
        guard let missing else { return nil }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            try? FileManager.default.removeItem(at: missing)
            throw CLIError("Creating \(directory.path) failed (\(describe(error))), so nothing was written: check the path and its permissions.")
        }
        return missing
    }

    /// POSIX rename: atomic, and over an empty directory too.
    private static func rename(_ source: URL, to target: URL) throws {
        guard Foundation.rename(source.path, target.path) == 0 else {
            throw CLIError("renaming into \(target.path): \(String(cString: strerror(errno)))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? CLIError { return error.description }
        return (error as NSError).localizedDescription
    }
}

/// Swift's rules for a variable's name.
enum SwiftIdentifier {
    /// Whether `name` can be a variable: an ASCII letter or `_`, then letters, digits and `_`, and no reserved word.
    static func isValid(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } && !reserved.contains(name)
    }

    /// How many top-level declarations of `variable` (`let x`, `public var x`, unindented) `source` holds: two of one
    /// name in a module do not compile.
    static func declarations(of variable: String, in source: String) -> Int {
        let pattern = #"^(public |private |fileprivate |internal )?(let|var) "# + NSRegularExpression.escapedPattern(for: variable) + #"\b"#
        guard let expression = try? NSRegularExpression(pattern: pattern, options: .anchorsMatchLines) else { return 0 }
        return expression.numberOfMatches(in: source, range: NSRange(source.startIndex..., in: source))
    }

    /// The keywords a declaration, statement, expression or type cannot use as a plain name (The Swift Programming
    /// Language, "Lexical Structure").
    static let reserved: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil",
        "self", "Self", "super", "throws", "true", "try", "_",
    ]
}

/// `swift format` with Cairn's layout (150 columns, 4 spaces), when the toolchain has it.
enum SwiftFormat {
    /// The layout settings of Cairn's own `.swift-format`, written into new packages too.
    static let configuration = """
        {
          "version": 1,
          "lineLength": 150,
          "indentation": { "spaces": 4 },
          "respectsExistingLineBreaks": true,
          "lineBreakBeforeEachArgument": false,
          "multiElementCollectionTrailingCommas": true,
          "prioritizeKeepingFunctionOutputTogether": true,
          "spacesAroundRangeFormationOperators": false,
          "reflowMultilineStringLiterals": "never"
        }

        """

    /// `source` formatted, or as it is when `swift format` cannot be run.
    static func format(_ source: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-generate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = directory.appendingPathComponent(".swift-format")
            let file = directory.appendingPathComponent("Stack.swift")
            try Data(configuration.utf8).write(to: config)
            try Data(source.utf8).write(to: file)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["swift", "format", "--configuration", config.path, "--in-place", file.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return source }
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            return source
        }
    }
}
