/**
 * `bench:load --console [--console-listen N]`: an operator's web console open during the ramp. It logs
 * in like the page does, keeps the SSE event feed open (counting events and bytes), and listens in to
 * the first N calls it sees start (counting the frames it receives), so the run's per-stream CPU shows
 * what a watching console costs the server (docs/console.md).
 */
import WebSocket from 'ws';

export interface ConsoleClientStats {
  events: number;
  feedBytes: number;
  feedReconnects: number;
  listening: number;
  listenFrames: number;
  listenBytes: number;
}

export interface ConsoleClient {
  stats(): ConsoleClientStats;
  close(): void;
}

export async function openConsole(
  base: string,
  authId: string,
  authToken: string,
  listen: number,
): Promise<ConsoleClient> {
  const res = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ auth_id: authId, auth_token: authToken }).toString(),
  });
  if (res.status !== 303) {
    throw new Error(`console login failed: ${res.status}`);
  }
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const stats: ConsoleClientStats = {
    events: 0,
    feedBytes: 0,
    feedReconnects: -1,
    listening: 0,
    listenFrames: 0,
    listenBytes: 0,
  };
  const abort = new AbortController();
  const sockets: WebSocket[] = [];
  const startListening = (callUuid: string): void => {
    stats.listening++;
    const ws = new WebSocket(`${base.replace('http', 'ws')}/console/api/calls/${callUuid}/audio`, {
      headers: { cookie, origin: base },
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        stats.listenFrames++;
        stats.listenBytes += data.length;
      }
    });
    ws.on('error', () => undefined);
    sockets.push(ws);
  };
  const onFrame = (frame: string): void => {
    if (!frame.startsWith('id: ')) {
      return;
    }
    stats.events++;
    const m = /"type":"call\.started","callUuid":"([0-9a-f-]+)"/.exec(frame);
    if (m?.[1] !== undefined && stats.listening < listen) {
      startListening(m[1]);
    }
  };
  const follow = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      stats.feedReconnects++;
      try {
        const feed = await fetch(`${base}/console/api/events`, { headers: { cookie }, signal: abort.signal });
        const reader = (feed.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          stats.feedBytes += value.length;
          text += decoder.decode(value, { stream: true });
          let cut = text.indexOf('\n\n');
          while (cut >= 0) {
            onFrame(text.slice(0, cut));
            text = text.slice(cut + 2);
            cut = text.indexOf('\n\n');
          }
        }
      } catch {
        // aborted, or the server dropped the feed: reconnect unless closing
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  void follow();
  return {
    stats: () => ({ ...stats }),
    close: () => {
      abort.abort();
      for (const ws of sockets) {
        ws.terminate();
      }
    },
  };
}
