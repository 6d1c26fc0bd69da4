import Foundation

/// What can go wrong with a state kept in an object store (S3). Each `description` is one sentence naming the
/// bucket and key and what to do; none of them leaves the state half-written.
public enum RemoteStateError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The bucket does not exist.
    case bucketMissing(bucket: String, location: String)
    /// The bucket is in another region than the one asked (S3's 301 PermanentRedirect); `region` is where S3 says it
    /// is, when it says.
    case bucketInOtherRegion(bucket: String, location: String, region: String?, asked: String)
    /// The store refused access to an object.
    case accessDenied(location: String, action: String)
    /// An object where the state should be is not Cairn state.
    case notCairnState(location: String, reason: String)
    /// The state was written by a newer Cairn.
    case newerFormat(location: String, found: Int, supported: Int)
    /// The journal lacks an entry between the snapshot and a later one.
    case journalGap(location: String, missing: Int)
    /// Another run wrote the state after this run's lock was broken: nothing of this run's was written over it.
    case staleWriter(location: String, holder: String?)
    /// This run's lock expired or was removed while it ran: it stops before writing.
    case lockLost(location: String)
    /// A migration or push would overwrite a state that is already there.
    case targetExists(location: String)
    /// A pushed file is not a later version of this state.
    case pushRefused(location: String, reason: String)
    /// Any other failure of the store (an AWS error, the network), with its text.
    case store(location: String, action: String, message: String)
    /// Something to write (a journal entry, a snapshot header, a lock record) cannot be encoded: nothing was written.
    case unencodable(what: String, reason: String)
    /// A write behind an apply failed (`StateSession.pipelined`) after the run had changed AWS.
    case unrecorded(location: String, reason: String)

    public var description: String {
        switch self {
        case .bucketMissing(let bucket, let location):
            return
                "The state bucket '\(bucket)' does not exist (\(location)): create it (`cairn apply cairn-state --var bucket=\(bucket)`) or fix the bucket in --backend, CAIRN_BACKEND or the stack's `backend:`; nothing was changed."
        case .bucketInOtherRegion(let bucket, let location, let region, let asked):
            guard let region else {
                return
                    "The state bucket '\(bucket)' is not in \(asked), where Cairn asked (\(location)), and S3 did not say where it is: find its region (`aws s3api get-bucket-location --bucket \(bucket)`) and add `?region=REGION` to --backend or CAIRN_BACKEND (`s3://\(bucket)/PREFIX?region=REGION`), or `region:` to the stack's `backend:`; nothing was changed."
            }
            return
                "The state bucket '\(bucket)' is in \(region), not in \(asked) where Cairn asked (\(location)): add `?region=\(region)` to --backend or CAIRN_BACKEND (`s3://\(bucket)/PREFIX?region=\(region)`), or `region: \"\(region)\"` to the stack's `backend:`; nothing was changed."
        case .accessDenied(let location, let action):
            return
                "Access to \(location) was denied while \(action): grant this identity s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on it (see `cairn whoami`); nothing was changed."
        case .notCairnState(let location, let reason):
            return
                "\(location) is not a Cairn state (\(reason)): point --backend at the right bucket and prefix, or move that object away (Cairn left it untouched)."
        case .newerFormat(let location, let found, let supported):
            return
                "\(location) was written by a newer Cairn (format \(found), this build knows up to \(supported)): upgrade Cairn to use it (Cairn left it untouched)."
        case .journalGap(let location, let missing):
            return
                "\(location) lacks journal entry \(missing) although later ones exist: restore it from the bucket's object versions (the bucket keeps them when versioning is on); nothing was changed."
        case .staleWriter(let location, let holder):
            let who = holder.map { " (\($0))" } ?? ""
            return
                "Another run\(who) wrote the state at \(location) after this run's lock was broken: this run stopped before writing, so nothing was overwritten — run the command again to work from the current state."
        case .lockLost(let location):
            return
                "This run's lock on \(location) expired or was removed while it ran (force-unlock, or no renewal for longer than the lease): it stopped before writing — run the command again."
        case .targetExists(let location):
            return
                "A state already exists at \(location): Cairn never overwrites one; remove it deliberately or choose another --to."
        case .pushRefused(let location, let reason):
            return "Refused to push to \(location): \(reason); nothing was changed."
        case .store(let location, let action, let message):
            return "\(location): \(action) failed (\(message)); nothing was changed — check the bucket and your network, then run again."
        case .unencodable(let what, let reason):
            return
                "Cairn could not encode \(what) (\(reason)), so it wrote nothing to the shared state: this is a bug in Cairn — please report it with the command that failed."
        case .unrecorded(let location, let reason):
            return
                "The state at \(location) could not be updated (\(reason)) after this run had changed AWS: its last changes are not recorded there and nothing was overwritten, but every create it started left an intent, so the next apply finds what it made and adopts it — fix the cause, then run the command again."
        }
    }

    public var errorDescription: String? { description }

    /// `body`'s bytes, or `unencodable` naming `what` when it throws: never an empty object in place of a record.
    static func encoding(_ what: String, _ body: () throws -> Data) throws -> Data {
        do {
            return try body()
        } catch {
            throw RemoteStateError.unencodable(what: what, reason: String(describing: error))
        }
    }
}
