// Who is on the other end of a control connection, as the kernel reports it (SO_PEERCRED).
package dev.tapover.control;

import java.io.IOException;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;

/** The peer's pid, uid and primary gid at connect time. */
public record PeerIdentity(int pid, int uid, int gid) {

    /** Reads the credentials of a connected epoll UNIX socket channel. */
    static PeerIdentity of(Channel channel) throws IOException {
        if (!(channel instanceof EpollDomainSocketChannel domain)) {
            throw new IOException("channel " + channel + " is not a UNIX domain socket, so it has no peer credentials");
        }
        PeerCredentials credentials = domain.peerCredentials();
        int[] gids = credentials.gids();
        return new PeerIdentity(credentials.pid(), credentials.uid(), gids.length > 0 ? gids[0] : -1);
    }

    @Override
    public String toString() {
        return "pid " + pid + " (uid " + uid + ", gid " + gid + ")";
    }
}
