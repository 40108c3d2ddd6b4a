// JMH: the failover decision: the pure selector, and the group state machine taking a carrier loss and return.
package dev.tapover.jmh;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.tapover.failover.ActiveLinkSelector;
import dev.tapover.failover.FailoverEvent;
import dev.tapover.failover.FailoverGroup;
import dev.tapover.failover.LinkRef;
import dev.tapover.failover.LinkRole;
import dev.tapover.failover.LinkSnapshot;
import dev.tapover.failover.LinkState;
import dev.tapover.failover.PolicyConfig;
import dev.tapover.failover.Reason;

/**
 * <ul>
 *   <li>{@code decideFailover}: {@link ActiveLinkSelector#decide} with the active primary DOWN (carrier
 *       lost) and the standby UP: the answer is "switch to the standby";</li>
 *   <li>{@code decideSteady}: both UP, primary active: the answer is "keep" (what every event that changes
 *       nothing costs);</li>
 *   <li>{@code linkChanged}: {@link FailoverGroup#linkChanged} with the default policy (no delays,
 *       failback always): primary carrier off (failover event), then on (failback event); cost per call.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyBench {
    private static final int PRIMARY = 2;
    private static final int STANDBY = 3;

    private final PolicyConfig config = PolicyConfig.defaults();
    private List<LinkSnapshot> primaryDown;
    private List<LinkSnapshot> bothUp;
    private LinkRef primaryRef;
    private FailoverGroup group;
    private long now = 1_000_000_000L;

    @Setup
    public void setUp() {
        LinkSnapshot primaryUp = new LinkSnapshot(PRIMARY, "primary", "primary", LinkRole.PRIMARY, 0, true, true,
                LinkSnapshot.SPEED_UNKNOWN, LinkState.UP, 0, LinkSnapshot.NO_DEADLINE, null);
        LinkSnapshot primaryLost = new LinkSnapshot(PRIMARY, "primary", "primary", LinkRole.PRIMARY, 0, true, false,
                LinkSnapshot.SPEED_UNKNOWN, LinkState.DOWN, LinkSnapshot.NOT_USABLE, LinkSnapshot.NO_DEADLINE,
                Reason.CARRIER_LOST);
        LinkSnapshot standbyUp = new LinkSnapshot(STANDBY, "standby", "standby", LinkRole.STANDBY, 1, true, true,
                LinkSnapshot.SPEED_UNKNOWN, LinkState.UP, 0, LinkSnapshot.NO_DEADLINE, null);
        primaryDown = List.of(standbyUp, primaryLost);
        bothUp = List.of(standbyUp, primaryUp);
        primaryRef = primaryUp.ref();
        if (!decideFailover().changesActive() || decideSteady().changesActive()) {
            throw new IllegalStateException("the selector no longer answers as this benchmark expects");
        }

        group = new FailoverGroup(List.of("primary", "standby"), config, () -> now += 1_000);
        group.linkAppeared("primary", PRIMARY, true, true);
        group.linkAppeared("standby", STANDBY, true, true);
        group.start();
        Optional<FailoverEvent> away = group.linkChanged(PRIMARY, true, false);
        Optional<FailoverEvent> back = group.linkChanged(PRIMARY, true, true);
        if (away.isEmpty() || back.isEmpty() || back.get().reason() != Reason.PRIMARY_RETURNED) {
            throw new IllegalStateException("the group no longer fails over and back at once with the defaults");
        }
    }

    @Benchmark
    public ActiveLinkSelector.Decision decideFailover() {
        return ActiveLinkSelector.decide(primaryDown, primaryRef, false, false, config, now);
    }

    @Benchmark
    public ActiveLinkSelector.Decision decideSteady() {
        return ActiveLinkSelector.decide(bothUp, primaryRef, false, false, config, now);
    }

    @Benchmark
    @OperationsPerInvocation(2)
    public void linkChanged(Blackhole bh) {
        bh.consume(group.linkChanged(PRIMARY, true, false));
        bh.consume(group.linkChanged(PRIMARY, true, true));
    }
}
