/** A key's colour from its first-seen index (golden-angle hues: neighbours differ), the same on every chart and in the key picker. */
export function keyColor(index: number, dark: boolean): string {
  return `hsl(${(index * 137.508) % 360} ${dark ? '70%' : '65%'} ${dark ? '62%' : '42%'})`;
}
