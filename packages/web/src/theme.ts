import { createTheme, darken, type CSSVariablesResolver } from "@mantine/core";

/**
 * Mantine's defaults, with colours dark enough for WCAG AA contrast (4.5:1 for text): filled
 * controls use shade 8 (white text on it passes), light variants (badges, the active menu
 * entry, alerts) and coloured text a darkened shade 9, and "dimmed" text gray 7. axe-core
 * checks every page in the browser tests.
 */
export const theme = createTheme({ primaryShade: 8 });

export const cssVariablesResolver: CSSVariablesResolver = (t) => {
  const light: Record<string, string> = { "--mantine-color-dimmed": t.colors.gray[7]! };
  for (const [name, shades] of Object.entries(t.colors)) {
    const strong = darken(shades[9]!, name === "yellow" || name === "orange" || name === "lime" ? 0.45 : 0.25);
    light[`--mantine-color-${name}-light-color`] = strong;
    light[`--mantine-color-${name}-text`] = strong;
    light[`--mantine-color-${name}-outline`] = strong;
  }
  return { variables: {}, light, dark: {} };
};
