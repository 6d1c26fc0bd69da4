/// Runs `transform` on every element at once and returns the results in the elements' order.
/// Meant for one AWS call per item (a tag read per bucket, a listing per cluster): the client's
/// concurrency bound, not this function, limits how many are in flight.
extension Sequence where Element: Sendable {
    public func concurrentMap<T: Sendable>(_ transform: @escaping @Sendable (Element) async throws -> T) async rethrows -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self, returning: [T].self) { group in
            var count = 0
            for (index, element) in enumerated() {
                group.addTask { (index, try await transform(element)) }
                count += 1
            }
            var results = [T?](repeating: nil, count: count)
            for try await (index, value) in group { results[index] = value }
            return results.map { $0! }
        }
    }
}
