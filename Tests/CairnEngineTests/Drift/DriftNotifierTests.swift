import CairnEngine
import CairnJSON
import Foundation
import Testing

/// Records what would be published and posted, answering posts with `status` and failing publishes
/// when `publishError` is set.
final class StubTransport: DriftNotificationTransport, @unchecked Sendable {
    struct Publish: Equatable { var topicARN, region, subject, message: String }
    struct Post {
        var body: Data
        var url: URL
        var timeout: Duration
    }

    private let lock = NSLock()
    private var published: [Publish] = []
    private var posted: [Post] = []
    let status: Int
    let publishError: (any Error & Sendable)?

    init(status: Int = 200, publishError: (any Error & Sendable)? = nil) {
        self.status = status
        self.publishError = publishError
    }

    var publishes: [Publish] { lock.withLock { published } }
    var posts: [Post] { lock.withLock { posted } }

    func publish(topicARN: String, region: String, subject: String, message: String) async throws {
        lock.withLock { published.append(Publish(topicARN: topicARN, region: region, subject: subject, message: message)) }
        if let publishError { throw publishError }
    }

    func post(json body: Data, to url: URL, timeout: Duration) async throws -> Int {
        lock.withLock { posted.append(Post(body: body, url: url, timeout: timeout)) }
        return status
    }
}

@Suite struct DriftNotifierTests {
    let topic = "arn:aws:sns:eu-north-1:123456789012:drift"

    @Test func targetsAreParsed() throws {
        #expect(try DriftNotificationTarget(parsing: "sns:\(topic)") == .snsTopic(arn: topic))
        #expect(
            try DriftNotificationTarget(parsing: "webhook:https://hooks.example.com/x?y=1")
                == .webhook(URL(string: "https://hooks.example.com/x?y=1")!))
        #expect(try DriftNotificationTarget(parsing: "webhook:HTTP://127.0.0.1:8080/hook") == .webhook(URL(string: "HTTP://127.0.0.1:8080/hook")!))
        for text in ["sns:\(topic)", "webhook:https://hooks.example.com/x"] {
            #expect(try DriftNotificationTarget(parsing: text).description == text)
        }
    }

    @Test(arguments: [
        "", "email:ops@example.com", "sns:", "sns:drift", "sns:arn:aws:sns:eu-north-1:123456789012", "sns:arn:aws:sns::123456789012:drift",
        "sns:arn:aws:sqs:eu-north-1:123456789012:drift", "sns:arn:aws:sns:eu-north-1:acct:drift",
        "sns:arn:aws:sns:eu-north-1:123456789012:drift:extra",
        "webhook:", "webhook:ftp://example.com/x", "webhook:hooks.example.com/x", "webhook:https://",
    ])
    func badTargetsAreRefusedSayingWhatIsExpected(_ text: String) {
        #expect(throws: DriftNotificationError.badTarget(text)) { try DriftNotificationTarget(parsing: text) }
        #expect(
            DriftNotificationError.badTarget(text).description
                == "'\(text)' must be sns:TOPIC_ARN (arn:aws:sns:REGION:ACCOUNT:NAME) or webhook:URL (http or https).")
    }

    @Test func snsGetsTheSummaryAsSubjectAndTheMarkdownInTheTopicsRegion() async throws {
        let transport = StubTransport()
        let report = driftReport([resized(2)])
        try await DriftNotifier(targets: [.snsTopic(arn: topic)], transport: transport).notify(report)
        #expect(
            transport.publishes == [
                StubTransport.Publish(
                    topicARN: topic, region: "eu-north-1", subject: "Cairn drift in app (prod): 1 changed, 0 deleted, 0 unmanaged.",
                    message: report.markdown)
            ])
    }

    @Test func theSubjectStaysUnderSNSsLimit() {
        var report = driftReport([resized(2)])
        report.stack = String(repeating: "s", count: 200)
        #expect(DriftNotifier.subject(report).count == 99)
    }

    @Test func aLongReportIsCutAtALineToFitSNSsLimitWithANote() async throws {
        let transport = StubTransport()
        // About 3,000 rows of some 120 bytes, with multi-byte characters: well over 256 KiB.
        let resources = (0..<3_000).map { index in
            DriftedResource(
                address: "fake_thing.item\(index)", type: "fake_thing", id: "\(index)", status: .changed,
                attributes: [DriftedAttribute(path: "description", recorded: "ancien — été", live: .string("nouveau — hiver \(index)"))])
        }
        let report = driftReport(resources)
        #expect(report.markdown.utf8.count > DriftNotifier.snsMessageLimit)
        try await DriftNotifier(targets: [.snsTopic(arn: topic)], transport: transport).notify(report)
        let message = try #require(transport.publishes.first?.message)
        #expect(message.utf8.count <= DriftNotifier.snsMessageLimit)
        #expect(message.utf8.count > DriftNotifier.snsMessageLimit - 1_000, "as much of the report as fits")
        #expect(message.hasPrefix("### Cairn drift: `app` (prod)"))
        let note = "\n\n(Truncated to fit SNS's 256 KiB limit: 3000 resources drifted. Run `cairn drift app --env prod` for the whole report.)"
        #expect(message.hasSuffix(note))
        #expect(message.dropLast(note.count).hasSuffix("|"), "the last row kept is whole")
        #expect(report.markdown.hasPrefix(message.dropLast(note.count)))
    }

    /// A report over SNS's cap, from a recorded drift run: the message is cut under the cap and its note names the run
    /// (and the link given), and that run, read back from the history, is the whole report.
    @Test func aCutReportPointsAtItsRecordedRunWhichPrintsInFull() async throws {
        let cloud = FakeCloud()
        let workspace = makeWorkspace(cloud)
        var thing = FakeResource("thing")
        thing.secret = "hunter2"
        let gone = FakeResource("gone")
        let stack = makeStack([thing, gone])
        #expect(try await workspace.apply(try await workspace.plan(stack, region: "us-east-1"), stack: stack, command: "apply") { _ in }.ok)
        // 3,000 tags added by hand (and the ownership tags removed), of some 100 bytes each: one row each, well over 256 KiB;
        // a secret changed; one resource deleted.
        var live = try #require(cloud.attributes("thing"))
        live["tags"] = .object(
            Dictionary(
                uniqueKeysWithValues: (0..<3_000).map {
                    ("team-\($0)", JSON.string("owned by the platform team — été \($0) " + String(repeating: "x", count: 50)))
                }))
        live["secret"] = "changed-by-hand"
        cloud.put("thing", live)
        cloud.remove("gone")
        let report = try await workspace.drift(stack, now: Date(timeIntervalSince1970: 1_000))
        let run = try #require(report.run, "a recorded run has an id")
        #expect(report.markdown.utf8.count > DriftNotifier.snsMessageLimit)

        let transport = StubTransport()
        let link = try #require(URL(string: "https://ci.example.com/jobs/42"))
        try await DriftNotifier(targets: [.snsTopic(arn: topic)], transport: transport, reportURL: link).notify(report)
        let message = try #require(transport.publishes.first?.message)
        #expect(message.utf8.count <= DriftNotifier.snsMessageLimit)
        let note =
            "\n\n(Truncated to fit SNS's 256 KiB limit: 2 resources drifted. The whole report: https://ci.example.com/jobs/42 (also drift run \(run) of the stack's history: `cairn drift test --env default --run \(run)` prints it).)"
        #expect(message.hasSuffix(note), "\(message.suffix(400))")
        #expect(report.markdown.hasPrefix(message.dropLast(note.count)))
        let unlinked = DriftNotifier.snsMessage(report)
        #expect(
            unlinked.hasSuffix(
                "The whole report is drift run \(run) of the stack's history: `cairn drift test --env default --run \(run)` prints it.)"))

        // The run it names, read back: the whole report, the secret still masked.
        let printed = try await workspace.driftRun(stack, id: run)
        #expect(printed.run == run)
        #expect(printed.json == report.json)
        #expect(printed.markdown == report.markdown)
        #expect(printed.render(style: Style(enabled: false)) == report.render(style: Style(enabled: false)))
        #expect(!printed.markdown.contains("hunter2") && !printed.markdown.contains("changed-by-hand"))
        await #expect(throws: PlanError.self) { _ = try await workspace.driftRun(stack, id: run + 1) }
    }

    @Test func aShortReportIsSentWhole() {
        let report = driftReport([resized(2)])
        #expect(DriftNotifier.snsMessage(report) == report.markdown)
        #expect(DriftNotifier.snsMessage(report, limit: report.markdown.utf8.count) == report.markdown)
    }

    @Test func theWebhookGetsTheReportJSONWithATextForChats() async throws {
        let transport = StubTransport()
        let url = URL(string: "https://hooks.example.com/drift")!
        let report = driftReport([resized(2)])
        try await DriftNotifier(targets: [.webhook(url)], transport: transport, webhookTimeout: .seconds(5)).notify(report)
        let post = try #require(transport.posts.first)
        #expect(post.url == url)
        #expect(post.timeout == .seconds(5))
        let body = try JSON(parsing: String(decoding: post.body, as: UTF8.self))
        #expect(body["drifted"] == true)
        #expect(body["stack"] == "app")
        #expect(body["resources"]?[0]?["address"] == "fake_thing.a")
        #expect(body["text"] == .string("Cairn drift in app (prod): 1 changed, 0 deleted, 0 unmanaged.\n" + report.markdown))
    }

    @Test func everyTargetIsTriedAndEachFailureNamed() async throws {
        let transport = StubTransport(status: 404, publishError: DriftCheckFailed())
        let url = URL(string: "https://hooks.example.com/gone")!
        let notifier = DriftNotifier(targets: [.webhook(url), .snsTopic(arn: topic)], transport: transport)
        await #expect(
            throws: DriftNotificationError.failed([
                .init(target: .webhook(url), reason: "it answered HTTP 404: check the URL"),
                .init(target: .snsTopic(arn: topic), reason: "AWS was unreachable."),
            ])
        ) { try await notifier.notify(driftReport([resized(2)])) }
        #expect(transport.posts.count == 1)
        #expect(transport.publishes.count == 1)
        let error = DriftNotificationError.failed([.init(target: .webhook(url), reason: "it answered HTTP 404: check the URL")])
        #expect(
            error.description
                == "The drift notification could not be sent to webhook:https://hooks.example.com/gone (it answered HTTP 404: check the URL).")
    }
}
