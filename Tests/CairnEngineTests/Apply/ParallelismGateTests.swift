import Testing

@testable import CairnEngine

/// The places of an apply's operations: every place lent comes back, and none is taken twice. A place lost or taken
/// twice shows as an `enter` that never returns, which the time limit bounds.
@Suite struct ParallelismGateTests {
    @Test(.timeLimit(.minutes(1)))  // bound: a lost place leaves the last enter waiting forever
    func tasksOfOneOperationWaitingAtOnceShareItsPlace() async {
        let gate = ParallelismGate(places: 1)
        await gate.enter(order: 0)
        let place = ParallelismGate.Place(gate)
        place.lend()
        place.lend()
        await place.reclaim()
        await place.reclaim()
        place.finish()
        await gate.enter(order: 1)
    }

    @Test(.timeLimit(.minutes(1)))  // bound: a lost place leaves the last enter waiting forever
    func aTaskThatOutlivesItsOperationLendsAndTakesNothing() async {
        let gate = ParallelismGate(places: 1)
        await gate.enter(order: 0)
        let place = ParallelismGate.Place(gate)
        place.finish()
        place.lend()
        await place.reclaim()
        await gate.enter(order: 1)
    }

    @Test(.timeLimit(.minutes(1)))  // bound: a place not given back leaves the waiting operation waiting forever
    func aPlaceLentGoesToTheNextOperationAndComesBack() async {
        let gate = ParallelismGate(places: 1)
        await gate.enter(order: 0)
        let place = ParallelismGate.Place(gate)
        place.lend()
        // The lent place lets another operation start and finish; then the first one takes its place back.
        await gate.enter(order: 1)
        gate.leave()
        await place.reclaim()
        place.finish()
        await gate.enter(order: 2)
    }
}
