#!/usr/bin/env python3
"""Drives `mlv ui` in headless Chromium the way a person would, and reports what happened.

Usage: check_ui.py BASE_URL SCREENSHOT_DIR
Prints JSON: rows of the runs table (names, states), the order of a metric column after one and
two header clicks, the rows left by a `metric > value` filter, the compare page reached by
selecting two rows, the history chart's points and titles, the lineage graph's nodes, the data
table's rows, and every browser console error.
"""
import json, sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, shots = sys.argv[1].rstrip("/"), sys.argv[2]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
report = {"errors": []}


def click(element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'});", element)
    element.click()


def errors():
    report["errors"] += [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


try:
    driver.get(base + "/")
    table = driver.find_element(By.ID, "runs")
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    report["headers"] = headers
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    report["rows"] = [[td.text for td in row.find_elements(By.TAG_NAME, "td")][1:5] for row in rows]
    metric = sys.argv[3] if len(sys.argv) > 3 else "acc"
    column = headers.index(metric)
    header = table.find_elements(By.CSS_SELECTOR, "thead th")[column]
    click(header)
    report["ascending"] = [row.find_elements(By.TAG_NAME, "td")[column].text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr.commit")]
    click(header)
    report["descending"] = [row.find_elements(By.TAG_NAME, "td")[column].text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr.commit")]
    values = sorted(float(v) for v in report["ascending"] if v)
    threshold = values[len(values) // 2]
    report["threshold"] = threshold
    box = driver.find_element(By.ID, "filter")
    box.send_keys(f"{metric} > {threshold}")
    report["filtered"] = [row.find_elements(By.TAG_NAME, "td")[column].text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr") if row.is_displayed()]
    # Emptying the box shows every row again (as deleting the text by hand does).
    driver.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'));", box)
    # Move the last metric column one place left.
    controls = driver.find_elements(By.CSS_SELECTOR, "#columns .column-control")
    report["columns_before"] = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    click(controls[-1].find_element(By.CSS_SELECTOR, "button.left"))
    report["columns_after"] = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    driver.save_screenshot(shots + "/runs.png")
    boxes = driver.find_elements(By.CSS_SELECTOR, "tbody input[name=rev]")
    click(boxes[0])
    click(boxes[1])
    click(driver.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    # The form's GET navigates: wait for the compare page before reading it.
    WebDriverWait(driver, 30).until(lambda d: "/compare" in d.current_url and d.execute_script("return document.readyState") == "complete")
    report["compare_url"] = driver.current_url
    report["compare_headings"] = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
    report["compare_tables"] = len(driver.find_elements(By.CSS_SELECTOR, "table.changes"))
    tables = driver.find_elements(By.CSS_SELECTOR, "table.changes")
    report["compare_metrics"] = [[td.text for td in row.find_elements(By.TAG_NAME, "td")][1:4] for row in tables[-1].find_elements(By.CSS_SELECTOR, "tbody tr")] if tables else []
    driver.save_screenshot(shots + "/compare.png")
    errors()
    driver.get(base + "/history?metric=" + metric)
    points = driver.find_elements(By.CSS_SELECTOR, "svg.history a.point circle")
    report["history_points"] = len(points)
    report["history_titles"] = [p.find_element(By.TAG_NAME, "title").get_attribute("textContent") for p in points]
    report["history_links"] = [a.get_dom_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "svg.history a.point")]
    driver.save_screenshot(shots + "/history.png")
    errors()
    driver.get(base + "/data")
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    report["data_rows"] = [[td.text for td in row.find_elements(By.TAG_NAME, "td")][:2] for row in driver.find_elements(By.CSS_SELECTOR, "#data tbody tr")]
    links = driver.find_elements(By.LINK_TEXT, "lineage")
    if links:
        click(links[-1])
        WebDriverWait(driver, 30).until(lambda d: "/lineage" in d.current_url and d.execute_script("return document.readyState") == "complete")
        report["lineage_nodes"] = [n.get_attribute("textContent") for n in driver.find_elements(By.CSS_SELECTOR, "svg.lineage g.node title")]
        driver.save_screenshot(shots + "/lineage.png")
    errors()
finally:
    driver.quit()
print(json.dumps(report))
