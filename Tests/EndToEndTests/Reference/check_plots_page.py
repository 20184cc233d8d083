#!/usr/bin/env python3
"""Opens an mlv plots page in headless Chromium and reports what a reader would see.

Usage: check_plots_page.py PAGE.html SCREENSHOT.png
Prints JSON: per section (data-path), its charts (axes present, tick labels per axis, curves,
legend entries, markers with hover titles) and heatmaps (cells with titles); plus the browser
console's errors and whether the page ran any script.
"""
import json, sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

page, screenshot = sys.argv[1], sys.argv[2]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,2600"):
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.get("file://" + page)
    report = driver.execute_script("""
      const out = {scripts: document.scripts.length, sections: []};
      for (const section of document.querySelectorAll('section.plot')) {
        const item = {path: section.dataset.path, charts: [], heatmaps: []};
        for (const svg of section.querySelectorAll('svg.chart')) {
          const box = svg.getBoundingClientRect();
          item.charts.push({
            xAxis: !!svg.querySelector('g.axis.x line'), yAxis: !!svg.querySelector('g.axis.y line'),
            xTicks: svg.querySelectorAll('g.axis.x text').length - 1, yTicks: svg.querySelectorAll('g.axis.y text').length - 1,
            xLabel: (svg.querySelector('g.axis.x text.label') || {}).textContent,
            yLabel: (svg.querySelector('g.axis.y text.label') || {}).textContent,
            curves: svg.querySelectorAll('g.curve').length,
            legend: [...svg.querySelectorAll('g.legend-entry text')].map(t => t.textContent),
            titled: svg.querySelectorAll('g.curve title').length,
            visible: box.width > 100 && box.height > 100});
        }
        for (const svg of section.querySelectorAll('svg.heatmap')) {
          item.heatmaps.push({cells: svg.querySelectorAll('g.cell rect').length,
                              titled: svg.querySelectorAll('g.cell title').length,
                              caption: svg.parentElement.querySelector('figcaption').textContent});
        }
        out.sections.push(item);
      }
      return out;""")
    report["errors"] = [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    driver.save_screenshot(screenshot)
    print(json.dumps(report))
finally:
    driver.quit()
