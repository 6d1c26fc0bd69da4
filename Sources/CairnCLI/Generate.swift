import ArgumentParser
import CairnAWS
import CairnEngine
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
                providers: awsProviders(client: client), region: region, undeclarable: awsUndeclarableDiscoveries(client: client))
            let generated: GeneratedStack
            do {
                generated = try await generator.generate(
                    stackName: stackName, filter: filter, command: commandLine(region: region), takeOwnership: takeOwnership)
            } catch let error as GenerateError {
                throw CLIError(error.description.prefix(1).uppercased() + error.description.dropFirst())
            }
            let source = SwiftFormat.format(generated.source)
            let written = try destination.write(source, variable: generated.variable)
            report(generated, source: source, stackName: stackName, written: written, destination: destination)
            return generated.isComplete
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
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let fields = trimmed.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard fields.count == 2, fields[0].hasPrefix("aws_"), !fields[1].isEmpty else {
                    throw CLIError("Line \(number + 1) of \(ids) is not `TYPE ID` (like `aws_iam_role my-role`): fix it.")
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
            let name = String(cleaned).split(separator: "-").joined(separator: "-")
            return name.isEmpty ? "imported" : name
        }

        /// The command as the file's header quotes it: what chose the resources, not where the file went.
        private func commandLine(region: String) -> String {
            var words = ["cairn", "generate", "--region", region]
            for prefix in namePrefix { words += ["--name-prefix", prefix] }
            if let tag { words += ["--tag", tag] }
            if let ids { words += ["--ids", ids] }
            if let stack { words += ["--stack", stack] }
            return words.joined(separator: " ")
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
            if let line = destination.lineToAdd(generated.variable) { tell(line) }
            let run = destination.runCommand
            let taking = takeOwnership ? " --take-ownership" : ""
            tell("Next: `\(run) import \(stackName) --all\(taking)`, then `\(run) plan \(stackName)` (no changes expected).")
        }
    }
}

/// Where `cairn generate` writes: standard output, a new package, or an existing package's sources.
private struct Destination {
    enum Kind {
        case standardOutput
        /// A new package at `root`, named `name`.
        case newPackage(root: URL, name: String)
        /// The directory of an existing package's `main.swift`.
        case existing(sources: URL, main: URL)
    }

    let kind: Kind
    let stackName: String
    let dependency: String

    init(out: String?, stackName: String, cairnPath: String?, cairnURL: String?) throws {
        self.stackName = stackName
        if let cairnPath {
            let absolute = URL(fileURLWithPath: cairnPath).standardizedFileURL.path
            dependency = ".package(name: \"Cairn\", path: \(SwiftCode.string(absolute)))"
        } else if let cairnURL {
            dependency = ".package(url: \(SwiftCode.string(cairnURL)), from: \(SwiftCode.string(Cairn.configuration.version)))"
        } else {
            dependency = ""
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
            guard !dependency.isEmpty else {
                throw CLIError(
                    "Say where the new package gets Cairn from, so nothing was written: --cairn-path PATH (a checkout) or --cairn-url URL.")
            }
            let name = String(root.lastPathComponent.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" })
            kind = .newPackage(root: root, name: name.isEmpty ? "infrastructure" : name)
        }
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

    /// Writes the stack (and, for a new package, the package around it); returns the paths written.
    func write(_ source: String, variable: String) throws -> [String] {
        var files: [(URL, String)] = []
        switch kind {
        case .standardOutput:
            return []
        case .existing(let sources, _):
            files.append((sources.appendingPathComponent(fileName(variable)), source))
        case .newPackage(let root, let name):
            let sources = root.appendingPathComponent("Sources").appendingPathComponent(name)
            files.append((root.appendingPathComponent("Package.swift"), packageManifest(name)))
            files.append((root.appendingPathComponent(".gitignore"), ".build/\nstate/\n"))
            files.append((root.appendingPathComponent(".swift-format"), SwiftFormat.configuration))
            files.append(
                (
                    sources.appendingPathComponent("main.swift"),
                    "import Cairn\n\n// Every `cairn` subcommand, for this package's stacks: `swift run \(name) plan \(stackName)`.\nawait CairnMain.main(stacks: [\(variable)])\n"
                ))
            files.append((sources.appendingPathComponent(fileName(variable)), source))
        }
        for (url, _) in files where FileManager.default.fileExists(atPath: url.path) {
            throw CLIError("\(url.path) exists already, so nothing was written: move it away, or name the stack otherwise with --stack.")
        }
        for (url, text) in files {
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            } catch {
                throw CLIError("Writing \(url.path) failed (\((error as NSError).localizedDescription)): check the directory's permissions.")
            }
        }
        return files.map(\.0.path)
    }

    /// For an existing package: the line to add to its `main.swift`.
    func lineToAdd(_ variable: String) -> String? {
        guard case .existing(_, let main) = kind else { return nil }
        return "Add \(variable) to the stacks in \(main.path): await CairnMain.main(stacks: [..., \(variable)])"
    }

    private func packageManifest(_ name: String) -> String {
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
                .executableTarget(name: \(SwiftCode.string(name)), dependencies: [.product(name: "Cairn", package: "Cairn")])
            ]
        )

        """
    }
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
