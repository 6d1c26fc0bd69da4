import Foundation
import Testing

@testable import CairnState

@Suite("Create intents")
struct IntentTests {
    @Test func intentsAreRecordedPendingInOrderAndSurviveReopen() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let first = try store.recordIntent(address: "a.one", type: "aws_s3_bucket", plannedName: "bucket-1", command: "apply")
        let second = try store.recordIntent(address: "a.two", type: "aws_iam_role", plannedName: nil, command: "apply")
        #expect(first.id < second.id)
        #expect(first.plannedName == "bucket-1")
        #expect(second.plannedName == nil)
        #expect(try store.pendingIntents() == [first, second])
        // Intents leave the serial and the history alone.
        #expect(try store.serial() == 0)
        #expect(try store.history().isEmpty)
        store.close()

        let reopened = try openStore(dir, create: false)
        #expect(try reopened.pendingIntents() == [first, second])
    }

    @Test func discardRemovesOnlyThatIntent() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let first = try store.recordIntent(address: "a.one", type: "t", plannedName: nil, command: "apply")
        let second = try store.recordIntent(address: "a.two", type: "t", plannedName: nil, command: "apply")
        #expect(try store.discardIntent(first.id))
        #expect(try store.discardIntent(first.id) == false)
        #expect(try store.discardIntent(9_999) == false)
        #expect(try store.pendingIntents() == [second])
    }

    @Test func commitCreateResolvesTheIntentInTheSameTransaction() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let intent = try store.recordIntent(address: "a.one", type: "aws_s3_bucket", plannedName: "b", command: "apply")
        let other = try store.recordIntent(address: "a.two", type: "aws_s3_bucket", plannedName: nil, command: "apply")
        let record = try store.commitCreate(sampleRecord("a.one"), command: "apply", resolvingIntent: intent.id)
        #expect(try store.resource(at: "a.one") == record)
        #expect(try store.pendingIntents() == [other])
        #expect(try store.serial() == 1)
    }

    @Test func failedCreateKeepsTheIntent() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        try store.commitCreate(sampleRecord("a.one"), command: "apply")
        let intent = try store.recordIntent(address: "a.one", type: "aws_s3_bucket", plannedName: nil, command: "apply")
        let error = expectStateError {
            try store.commitCreate(sampleRecord("a.one"), command: "apply", resolvingIntent: intent.id)
        }
        #expect(error == .resourceExists(store.url, address: "a.one"))
        // All or nothing: the intent is still pending, the serial unchanged.
        #expect(try store.pendingIntents() == [intent])
        #expect(try store.serial() == 1)
    }

    @Test func resolvingAVanishedIntentStillRecordsTheResource() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let intent = try store.recordIntent(address: "a.one", type: "t", plannedName: nil, command: "apply")
        #expect(try store.discardIntent(intent.id))
        try store.commitCreate(sampleRecord("a.one"), command: "apply", resolvingIntent: intent.id)
        #expect(try store.resource(at: "a.one") != nil)
        #expect(try store.pendingIntents().isEmpty)
    }

    @Test func adoptResolvesAnIntent() throws {
        let dir = try TempDirectory()
        let store = try openStore(dir)
        let intent = try store.recordIntent(address: "a.crashed", type: "t", plannedName: "name", command: "apply")
        try store.commit(.adopt(sampleRecord("a.crashed")), command: "apply", resolvingIntent: intent.id)
        #expect(try store.pendingIntents().isEmpty)
        #expect(try store.history().first?.action == .adopt)
    }
}
