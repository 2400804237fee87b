/** Test helper: reads newline-delimited watch events from a response until `n` arrived or `ms` passed. */
export async function readWatchEvents(res: Response, n: number, ms = 3_000): Promise<Record<string, unknown>[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const out: Record<string, unknown>[] = [];
  let buf = '';
  const deadline = Date.now() + ms;
  try {
    while (out.length < n && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((ok) => setTimeout(() => ok(null), Math.max(1, deadline - Date.now())))]);
      if (chunk === null || chunk.done) break;
      buf += dec.decode(chunk.value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
    }
  } finally {
    await reader.cancel();
  }
  return out;
}
