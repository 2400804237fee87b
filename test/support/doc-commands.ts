/** The lines of a Markdown page's ```sh blocks, in order, trimmed, blank lines left out. */
export function docCommands(text: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (/^```sh\s*$/.test(line)) inBlock = true;
    else if (/^```/.test(line)) inBlock = false;
    else if (inBlock && line.trim() !== '') out.push(line.trim());
  }
  return out;
}
