// Real-kernel test of the data path on the lab topology: pings through the TAP master over either link.
package dev.tapover.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.tapover.lab.Capture;
import dev.tapover.lab.Lab;
import dev.tapover.lab.Sh;
import dev.tapover.natives.NetDevice;

class DataPathIT {
    private static final byte[] MAC = Master.parseMac("02:00:5e:00:53:01");

    private Lab lab;
    private Master master;
    private DataPath dataPath;
    private final PortCounters primaryCounters = new PortCounters();
    private final PortCounters standbyCounters = new PortCounters();

    @BeforeEach
    void up() throws Exception {
        lab = Lab.up();
        master = Master.create("fo0", MAC, false);
        Sh.run("ip", "addr", "add", "192.0.2.1/24", "dev", "fo0");
        dataPath = new DataPath(master.tap(), MAC, false, 2);
        dataPath.attach(1, LowerPort.open("primary", "primary", NetDevice.indexOf("primary"), primaryCounters, false));
        dataPath.attach(2, LowerPort.open("standby", "standby", NetDevice.indexOf("standby"), standbyCounters, false));
        dataPath.start();
    }

    @AfterEach
    void down() throws Exception {
        if (dataPath != null) {
            dataPath.close();
        }
        if (master != null) {
            master.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private void ping(int count) {
        Sh.run("ping", "-c", String.valueOf(count), "-i", "0.05", "-W", "1", "-w", "5", Lab.PEER_V4);
    }

    @Test
    void hostReachesPeerThroughEitherLinkAndTheSwitchFollows() throws Exception {
        master.setCarrier(true);
        dataPath.activate(1);
        ping(3);
        assertEquals("up-primary", lab.fdbPortOf("02:00:5e:00:53:01"));
        assertTrue(primaryCounters.txFrames() >= 3);
        assertTrue(master.tap().isOpen());

        dataPath.activate(2);
        ping(3);
        assertEquals("up-standby", lab.fdbPortOf("02:00:5e:00:53:01"), "the bridge relearned the MAC on standby");
        assertTrue(standbyCounters.txFrames() >= 3);
        assertTrue(masterRxDelivered() >= 6, "replies were delivered to the host");
    }

    @Test
    void framesOnTheInactiveLinkAreCountedNotDelivered() throws Exception {
        master.setCarrier(true);
        dataPath.activate(1);
        ping(2);
        // The peer broadcasts ARP requests: the bridge floods them to both links; only primary's copy may pass.
        try (Capture onMaster = Capture.start("fo0", "arp dst host 192.0.2.77", 10, 5)) {
            lab.tryPeer("arping", "-c", "3", "-i", "0.2", "-w", "2", "-I", "eth0", "-b", "192.0.2.77"); // nobody answers
            assertEquals(3, onMaster.lines().size(), "each request reached the host once, via primary only");
        }
        dataPath.sync(() -> { });
        assertTrue(standbyCounters.drops(DropReason.INACTIVE_LINK) >= 3,
                "standby's copies were dropped: " + standbyCounters);
    }

    @Test
    void hostFramesSentWhileNoLinkIsActiveAreCounted() throws Exception {
        master.setCarrier(true); // the group would say off; force it to see what the data path does
        Sh.Result r = Sh.tryRun("ping", "-c", "2", "-i", "0.1", "-W", "1", Lab.PEER_V4);
        assertTrue(r.exit() != 0, "no active link, no reply");
        dataPath.sync(() -> { });
        assertTrue(dataPath.masterCounters().drops(DropReason.NO_ACTIVE_LINK) >= 1,
                "frames from the host were counted: " + dataPath.masterCounters());
    }

    private long masterRxDelivered() {
        return dataPath.masterCounters().txFrames();
    }
}
