/** A plain-text table: the first column left-aligned, the others right-aligned, as figures read best. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
export const ms = (value: number): string => value.toFixed(value < 10 ? 2 : 1);
export const times = (value: number): string => `${value.toFixed(3)}×`;
export const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');
