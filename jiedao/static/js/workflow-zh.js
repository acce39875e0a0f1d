// Simplified-Chinese text for the bpmn-js designer and the form-js editor and viewer (window.JiedaoZh).
//
// * bpmn-js: the documented `translate` service (`{ translate: ["value", fn] }` in additionalModules)
//   covers the palette, context pad, replace menu, popup menus and search.
// * form-js 1.23 has no translate service. What the library lets us reach is changed through it: the
//   palette names and default labels of the form fields (their `config`), the viewer's validation
//   messages (a module that wraps the `validator` service), and which fields the palette offers (only
//   those jiedao/workflow/formschema.py accepts). The remaining built-in strings (properties panel
//   labels, palette header, placeholders) are hard-coded in the library's components; `localize()`
//   replaces them in the rendered DOM by exact match, leaving what users typed alone. The viewer's date
//   calendar (flatpickr inside form-js) gets flatpickr's Chinese locale when it first opens.
(function () {
  "use strict";

  // --- bpmn-js -------------------------------------------------------------------------------------
  const BPMN = {
    // palette
    "Activate hand tool": "激活抓手工具",
    "Activate lasso tool": "激活套索工具",
    "Activate create/remove space tool": "激活创建/删除空间工具",
    "Activate global connect tool": "激活全局连线工具",
    "Create start event": "创建开始事件",
    "Create intermediate/boundary event": "创建中间/边界事件",
    "Create end event": "创建结束事件",
    "Create gateway": "创建网关",
    "Create task": "创建任务",
    "Create data object reference": "创建数据对象引用",
    "Create data store reference": "创建数据存储引用",
    "Create expanded sub-process": "创建展开的子流程",
    "Create pool/participant": "创建泳池/参与者",
    "Create group": "创建组",
    // context pad
    "Append end event": "追加结束事件",
    "Append gateway": "追加网关",
    "Append task": "追加任务",
    "Append intermediate/boundary event": "追加中间/边界事件",
    "Append receive task": "追加接收任务",
    "Append message intermediate catch event": "追加消息中间捕获事件",
    "Append timer intermediate catch event": "追加定时中间捕获事件",
    "Append conditional intermediate catch event": "追加条件中间捕获事件",
    "Append signal intermediate catch event": "追加信号中间捕获事件",
    "Append compensation activity": "追加补偿活动",
    "Add text annotation": "添加文本注释",
    "Add lane above": "在上方添加泳道",
    "Add lane below": "在下方添加泳道",
    "Divide into two lanes": "分成两条泳道",
    "Divide into three lanes": "分成三条泳道",
    "Change element": "更改元素类型",
    "Connect to other element": "连接到其他元素",
    "Connect using association": "用关联连接",
    "Connect using data input association": "用数据输入关联连接",
    Delete: "删除",
    "Align elements": "对齐元素",
    "Align elements left": "左对齐",
    "Align elements center": "水平居中对齐",
    "Align elements right": "右对齐",
    "Align elements top": "顶端对齐",
    "Align elements middle": "垂直居中对齐",
    "Align elements bottom": "底端对齐",
    "Distribute elements horizontally": "水平均匀分布",
    "Distribute elements vertically": "垂直均匀分布",
    "Open {element}": "打开 {element}",
    "Search in diagram": "在图中搜索",
    // replace menu header toggles
    "Parallel multi-instance": "并行多实例（会签）",
    "Sequential multi-instance": "串行多实例",
    Loop: "循环",
    Collection: "集合",
    "Participant multiplicity": "参与者多重性",
    "Toggle non-interrupting": "切换为非中断",
    // replace menu entries
    Task: "任务",
    "User task": "用户任务",
    "Service task": "服务任务",
    "Send task": "发送任务",
    "Receive task": "接收任务",
    "Manual task": "手工任务",
    "Business rule task": "业务规则任务",
    "Script task": "脚本任务",
    "Call activity": "调用活动",
    Transaction: "事务",
    "Event sub-process": "事件子流程",
    "Sub-process": "子流程",
    "Sub-process (collapsed)": "子流程（折叠）",
    "Sub-process (expanded)": "子流程（展开）",
    "Ad-hoc sub-process": "自由子流程",
    "Ad-hoc sub-process (collapsed)": "自由子流程（折叠）",
    "Ad-hoc sub-process (expanded)": "自由子流程（展开）",
    "Exclusive gateway": "排他网关",
    "Parallel gateway": "并行网关",
    "Inclusive gateway": "包容网关",
    "Complex gateway": "复杂网关",
    "Event-based gateway": "事件网关",
    "Event based instantiating Gateway": "事件实例化网关",
    "Parallel Event based instantiating Gateway": "并行事件实例化网关",
    "Start event": "开始事件",
    "End event": "结束事件",
    "Intermediate throw event": "中间抛出事件",
    "Boundary event": "边界事件",
    "Message start event": "消息开始事件",
    "Timer start event": "定时开始事件",
    "Conditional start event": "条件开始事件",
    "Signal start event": "信号开始事件",
    "Error start event": "错误开始事件",
    "Escalation start event": "升级开始事件",
    "Compensation start event": "补偿开始事件",
    "Message start event (non-interrupting)": "消息开始事件（非中断）",
    "Timer start event (non-interrupting)": "定时开始事件（非中断）",
    "Conditional start event (non-interrupting)": "条件开始事件（非中断）",
    "Signal start event (non-interrupting)": "信号开始事件（非中断）",
    "Escalation start event (non-interrupting)": "升级开始事件（非中断）",
    "Message intermediate catch event": "消息中间捕获事件",
    "Message intermediate throw event": "消息中间抛出事件",
    "Timer intermediate catch event": "定时中间捕获事件",
    "Escalation intermediate throw event": "升级中间抛出事件",
    "Conditional intermediate catch event": "条件中间捕获事件",
    "Link intermediate catch event": "链接中间捕获事件",
    "Link intermediate throw event": "链接中间抛出事件",
    "Compensation intermediate throw event": "补偿中间抛出事件",
    "Signal intermediate catch event": "信号中间捕获事件",
    "Signal intermediate throw event": "信号中间抛出事件",
    "Message end event": "消息结束事件",
    "Escalation end event": "升级结束事件",
    "Error end event": "错误结束事件",
    "Cancel end event": "取消结束事件",
    "Compensation end event": "补偿结束事件",
    "Signal end event": "信号结束事件",
    "Terminate end event": "终止结束事件",
    "Message boundary event": "消息边界事件",
    "Timer boundary event": "定时边界事件",
    "Escalation boundary event": "升级边界事件",
    "Conditional boundary event": "条件边界事件",
    "Error boundary event": "错误边界事件",
    "Cancel boundary event": "取消边界事件",
    "Signal boundary event": "信号边界事件",
    "Compensation boundary event": "补偿边界事件",
    "Message boundary event (non-interrupting)": "消息边界事件（非中断）",
    "Timer boundary event (non-interrupting)": "定时边界事件（非中断）",
    "Escalation boundary event (non-interrupting)": "升级边界事件（非中断）",
    "Conditional boundary event (non-interrupting)": "条件边界事件（非中断）",
    "Signal boundary event (non-interrupting)": "信号边界事件（非中断）",
    "Sequence flow": "顺序流",
    "Default flow": "默认流",
    "Conditional flow": "条件流",
    "Expanded pool/participant": "展开的泳池/参与者",
    "Empty pool/participant": "空泳池/参与者",
    "Data object reference": "数据对象引用",
    "Data store reference": "数据存储引用",
    // modeling feedback and import
    "flow elements must be children of pools/participants": "流程元素必须位于泳池/参与者内",
    "Data object must be placed within a pool/participant.": "数据对象必须放在泳池/参与者内。",
    "no diagram to display": "该流程定义没有图形信息，无法显示流程图。",
    "no process or collaboration to display": "该流程定义中没有可显示的流程或协作。",
  };

  function interpolate(template, replacements) {
    return template.replace(/{([^}]+)}/g, (match, key) =>
      replacements && key in replacements ? String(replacements[key]) : match,
    );
  }

  function bpmnTranslate(template, replacements) {
    return interpolate(BPMN[template] || template, replacements || {});
  }

  const NO_DIAGRAM = BPMN["no diagram to display"];

  /** A Chinese message for an error thrown by bpmn-js importXML (some are not passed through translate). */
  function importError(error) {
    const text = String((error && error.message) || error || "");
    if (BPMN[text]) return BPMN[text];
    if (/no diagram to display/.test(text)) return NO_DIAGRAM;
    if (/unparsable content|failed to parse document|Unexpected|unclosed|non-whitespace/i.test(text)) {
      return "流程定义的 XML 无法解析：" + text;
    }
    return text;
  }

  // --- form-js: field names and default labels -------------------------------------------------------
  // What the server accepts (jiedao/workflow/formschema.py INPUT_TYPES and LAYOUT_TYPES).
  const FORM_TYPES = [
    "textfield",
    "textarea",
    "number",
    "datetime",
    "select",
    "radio",
    "checkbox",
    "checklist",
    "text",
    "html",
    "spacer",
    "separator",
    "group",
  ];
  const FIELD_NAMES = {
    textfield: "文本框",
    textarea: "多行文本",
    number: "数字",
    datetime: "日期时间",
    select: "下拉选择",
    radio: "单选",
    checkbox: "勾选框",
    checklist: "多选",
    text: "说明文字",
    html: "HTML 内容",
    spacer: "间距",
    separator: "分隔线",
    group: "分组",
  };
  const DEFAULT_LABELS = {
    "Text field": "文本框",
    "Text area": "多行文本",
    Number: "数字",
    Select: "下拉选择",
    "Radio group": "单选",
    Checkbox: "勾选框",
    "Checkbox group": "多选",
    Group: "分组",
    Date: "日期",
    Time: "时间",
    Value: "选项",
  };
  const DEFAULT_TEXT = { "# Text": "# 说明文字" };

  function zhDefaults(result, options) {
    if (!result || typeof result !== "object") return result;
    ["label", "dateLabel", "timeLabel"].forEach((key) => {
      if ((!options || options[key] === undefined) && DEFAULT_LABELS[result[key]]) {
        result[key] = DEFAULT_LABELS[result[key]];
      }
    });
    if ((!options || options.text === undefined) && DEFAULT_TEXT[result.text]) result.text = DEFAULT_TEXT[result.text];
    if ((!options || options.values === undefined) && Array.isArray(result.values)) {
      result.values = result.values.map((option) =>
        option && DEFAULT_LABELS[option.label] ? Object.assign({}, option, { label: DEFAULT_LABELS[option.label] }) : option,
      );
    }
    return result;
  }

  /** Editor module: Chinese palette names and default labels; the palette offers only FORM_TYPES. */
  function FormFieldsZh(formFields) {
    const all = Object.assign({}, formFields._formFields);
    Object.keys(all).forEach((type) => {
      const field = all[type];
      if (!field || !field.config) return;
      if (type !== "default" && !FORM_TYPES.includes(type)) {
        delete formFields._formFields[type];
        return;
      }
      if (field.config.__jiedaoZh) return;
      const config = Object.assign({}, field.config, { __jiedaoZh: true });
      if (FIELD_NAMES[type]) {
        config.name = FIELD_NAMES[type];
        if (config.label) config.label = FIELD_NAMES[type];
      }
      if (typeof field.config.create === "function") {
        const create = field.config.create;
        config.create = (options, ...rest) => zhDefaults(create(options, ...rest), options);
      }
      field.config = config;
    });
    // Rendering an existing schema still finds every type (a draft may hold one the palette no longer
    // offers; the server names it when saving).
    const get = formFields.get.bind(formFields);
    formFields.get = (type) => get(type) || all[type];
  }
  FormFieldsZh.$inject = ["formFields"];

  const formEditorModule = {
    __init__: ["jiedaoFormFieldsZh"],
    jiedaoFormFieldsZh: ["type", FormFieldsZh],
  };

  // --- form-js viewer: validation messages -------------------------------------------------------------
  const VALIDATION = [
    [/^Field is required\.$/, () => "此项为必填项。"],
    [/^Field must match pattern (.*)\.$/, () => "格式不正确。"],
    [/^Field must have minimum value of (.*)\.$/, (m) => "不能小于 " + m[1] + "。"],
    [/^Field must have maximum value of (.*)\.$/, (m) => "不能大于 " + m[1] + "。"],
    [/^Field must have minimum length of (.*)\.$/, (m) => "至少 " + m[1] + " 个字。"],
    [/^Field must have maximum length of (.*)\.$/, (m) => "不能超过 " + m[1] + " 个字。"],
    [/^Field must be a valid +international phone number.*$/, () => "请输入有效的电话号码。"],
    [/^Field must be a valid email\.$/, () => "请输入有效的电子邮箱地址。"],
    [/^Value is not a number\.$/, () => "请输入数字。"],
    [/^Value is expected to be an integer\.$/, () => "请输入整数。"],
    [/^Value is expected to have at most (\d+) decimal digits?\.$/, (m) => "最多保留 " + m[1] + " 位小数。"],
    [
      /^Please select a valid value, the two nearest valid values are (.*) and (.*)\.$/,
      (m) => "请输入有效的值，最接近的两个有效值是 " + m[1] + " 和 " + m[2] + "。",
    ],
    [/^Min validation value is not a valid number\.$/, () => "最小值设置不是有效数字。"],
    [/^Max validation value is not a valid number\.$/, () => "最大值设置不是有效数字。"],
  ];

  function validationMessage(text) {
    for (const [pattern, make] of VALIDATION) {
      const match = pattern.exec(text);
      if (match) return make(match);
    }
    return text;
  }

  function ValidatorZh(validator) {
    ["validateField", "validateFieldInstance"].forEach((name) => {
      const original = validator[name];
      if (typeof original !== "function") return;
      validator[name] = function (...args) {
        const errors = original.apply(this, args);
        return Array.isArray(errors) ? errors.map(validationMessage) : errors;
      };
    });
  }
  ValidatorZh.$inject = ["validator"];

  const formViewerModule = {
    __init__: ["jiedaoValidatorZh"],
    jiedaoValidatorZh: ["type", ValidatorZh],
  };

  // --- form-js: built-in strings in the rendered DOM -------------------------------------------------
  const FORM_VIEWER_TEXT = {
    Select: "请选择",
    Search: "搜索",
    "No results": "无匹配项",
    "All values selected": "已全部选择",
    Increment: "增加",
    Decrement: "减少",
  };

  const FORM_EDITOR_TEXT = Object.assign({}, FORM_VIEWER_TEXT, {
    // properties panel header of the form itself (shown upper-cased: FORM)
    Form: "表单",
    // palette and canvas
    Components: "组件",
    "Search components": "搜索组件",
    "Clear content": "清除",
    "No components found.": "没有找到组件。",
    Input: "输入",
    Selection: "选择",
    Presentation: "展示",
    Containers: "容器",
    Action: "操作",
    "Build your form": "开始设计表单",
    "Drag and drop components here to start designing.": "把左侧组件拖到这里开始设计。",
    "Use the preview window to test your form.": "可在预览中测试表单。",
    "Drag and drop components here.": "把组件拖到这里。",
    "Remove form field": "删除字段",
    "Text view is empty": "说明文字为空",
    "Text view is populated by an expression": "说明文字由表达式生成",
    "Text view is templated": "说明文字使用模板",
    "Html view is empty": "HTML 内容为空",
    "Html view is populated by an expression": "HTML 内容由表达式生成",
    "Html view is templated": "HTML 内容使用模板",
    // properties panel
    "Select a form field to edit its properties.": "选中一个字段以编辑其属性。",
    "Multiple form fields are selected. Select a single form field to edit its properties.":
      "选中了多个字段，请只选中一个以编辑其属性。",
    General: "常规",
    Condition: "条件",
    Validation: "校验",
    Constraints: "约束",
    Appearance: "外观",
    Layout: "布局",
    Serialization: "序列化",
    "Options source": "选项来源",
    "Static options": "固定选项",
    "Dynamic options": "动态选项",
    "Custom properties": "自定义属性",
    "Form submission": "表单提交",
    Content: "内容",
    "Field label": "字段名称",
    "Group label": "分组名称",
    "Field description": "字段说明",
    Label: "名称",
    Key: "标识（key）",
    Path: "路径",
    ID: "标识",
    Type: "类型",
    Subtype: "子类型",
    Text: "文字",
    "Default value": "默认值",
    "Disabled": "禁用",
    "Read only": "只读",
    Required: "必填",
    Checked: "已勾选",
    "Not checked": "未勾选",
    "Hide if": "隐藏条件",
    "Deactivate if": "禁用条件",
    "Condition under which the field is hidden": "满足该条件时隐藏字段",
    "Condition under which the field is deactivated": "满足该条件时禁用字段",
    "Minimum length": "最少字数",
    "Maximum length": "最多字数",
    Minimum: "最小值",
    Maximum: "最大值",
    "Validation pattern": "校验格式",
    "Custom regular expression": "自定义正则表达式",
    "Custom error message": "自定义错误提示",
    "The error message to display when the input does not match the regular expression.":
      "输入不符合正则表达式时显示的提示。",
    Custom: "自定义",
    Email: "电子邮箱",
    Phone: "电话号码",
    "Decimal digits": "小数位数",
    Increment: "步长",
    "Output as string": "以字符串输出",
    "Allows arbitrary precision values": "允许任意精度的数值",
    Prefix: "前缀",
    Suffix: "后缀",
    Searchable: "可搜索",
    "Date label": "日期名称",
    "Time label": "时间名称",
    "Time format": "时间格式",
    "Time interval": "时间间隔",
    "Use 24h": "24 小时制",
    "Disallow past dates": "不允许选择过去的日期",
    Date: "日期",
    Time: "时间",
    "Date & Time": "日期和时间",
    "UTC offset": "带时区偏移",
    "UTC normalized": "UTC 时间",
    "No timezone": "不带时区",
    Static: "固定",
    "Input data": "输入数据",
    Expression: "表达式",
    "Input values key": "输入数据的键",
    "Define which input property to populate the values from": "指定从哪个输入数据项读取选项",
    "Options expression": "选项表达式",
    "Define an expression to populate the options from.": "用表达式生成选项。",
    Value: "值",
    "Create new list item": "新增一项",
    "Delete item": "删除此项",
    "Toggle list item": "展开/收起此项",
    "Toggle section": "展开/收起",
    "Section contains an error": "此部分有错误",
    "Section contains edits": "此部分已修改",
    "Open documentation": "打开文档",
    "Open pop-up editor": "在弹出窗口中编辑",
    "Opened in editor": "已在编辑器中打开",
    "Opened in popup": "已在弹出窗口中打开",
    "Close popup": "关闭弹出窗口",
    "Save and close": "保存并关闭",
    Create: "新增",
    "<empty>": "<空>",
    "<none>": "<无>",
    "Height": "高度",
    "Height of the container in pixels.": "容器高度（像素）。",
    "Show outline": "显示边框",
    Columns: "列宽",
    Auto: "自动",
    "Vertical alignment": "垂直对齐",
    Top: "顶部",
    Center: "居中",
    Bottom: "底部",
    "Version tag": "版本标签",
    "Version tag by which this form can be referenced.": "用于引用此表单的版本标签。",
    "Supports markdown and templating.": "支持 Markdown 和模板。",
    "Binds to a form variable": "绑定到表单数据项",
    "Where the child variables of this component are pathed to.": "该组件下的子字段存放的位置。",
    "Routes the children of this component into a form variable.": "把该组件下的子字段放入一个数据项。",
    "Disable this field when it should not be interactive for end-users. Its data will not be submitted. This setting takes precedence over read-only.":
      "用户不应操作此字段时禁用它，其数据不会提交。此设置优先于只读。",
    "Make this field read-only when it cannot be edited by the end-user, but its content is important for them to see. Its data will still be submitted.":
      "用户不能修改但需要看到内容时设为只读，其数据仍会提交。",
    "Must not be empty.": "不能为空。",
    "Must not be empty": "不能为空",
    "Must be unique.": "不能重复。",
    "Must not contain spaces.": "不能包含空格。",
    "Must be a variable or a dot separated path.": "应为变量名或以点分隔的路径。",
    "Must be a variable or a dot-separated path": "应为变量名或以点分隔的路径",
    "Must not conflict with other key/path assignments.": "不能与其他字段的 key 或路径冲突。",
    "Must not contain numerical path segments.": "路径中不能有纯数字的部分。",
    "Must not be a prohibited path.": "不能使用该路径。",
    "Must be number": "应为数字",
    "Should be a valid number": "应为有效数字",
    "Should be a valid number.": "应为有效数字。",
    "Should be an integer.": "应为整数。",
    "Should be greater than zero.": "应大于 0。",
    "Should be greater than or equal to zero.": "应大于或等于 0。",
    "Value must be a number.": "值应为数字。",
    "A number is required.": "需要一个数字。",
    "FEEL expression is mandatory": "必须使用 FEEL 表达式",
    "Unparsable FEEL expression.": "无法解析的 FEEL 表达式。",
    "Syntax Error": "语法错误",
    "Learn more": "了解更多",
  });

  // form-js writes a date field's placeholder from the browser's own date format, in English letters
  // (yyyy/mm/dd on a Chinese browser, mm/dd/yyyy on an American one): the same order, in Chinese (年/月/日,
  // as the browser's own date input shows it).
  const DATE_PARTS = { yyyy: "年", mm: "月", dd: "日" };
  const FORM_VIEWER_PATTERNS = [
    [
      /^(yyyy|mm|dd)([./-])(yyyy|mm|dd)\2(yyyy|mm|dd)$/,
      (m) => [m[1], m[3], m[4]].map((part) => DATE_PARTS[part]).join(m[2]),
    ],
  ];

  const FORM_EDITOR_PATTERNS = [
    ...FORM_VIEWER_PATTERNS,
    [/^Create an? (.+) element$/, (m) => "添加" + m[1]],
    [/^Remove (.+)$/, (m) => "删除" + m[1]],
    [/^List contains (\d+) items?$/, (m) => "共 " + m[1] + " 项"],
    [/^Click to remove dynamic value with FEEL expression$/, () => "点击取消 FEEL 表达式"],
    [/^Click to set a dynamic value with FEEL expression$/, () => "点击改用 FEEL 表达式"],
  ];

  const ATTRIBUTES = ["title", "placeholder", "aria-label"];

  function lookup(text, dict, patterns) {
    const key = text.trim();
    if (!key) return null;
    if (Object.prototype.hasOwnProperty.call(dict, key)) return text.replace(key, dict[key]);
    for (const [pattern, make] of patterns || []) {
      const match = pattern.exec(key);
      if (match) return text.replace(key, make(match));
    }
    return null;
  }

  /**
   * Translate a library's built-in strings under root, now and whenever it re-renders: text nodes (only
   * where textAllowed(parent) says so, to keep users' own labels as they are) and the title, placeholder
   * and aria-label attributes, by exact match. Returns the MutationObserver.
   */
  function localize(root, dict, options) {
    const patterns = (options && options.patterns) || [];
    const textAllowed = (options && options.textAllowed) || (() => true);

    function translateElement(element) {
      ATTRIBUTES.forEach((name) => {
        const value = element.getAttribute(name);
        if (!value) return;
        const text = lookup(value, dict, patterns);
        if (text !== null && text !== value) element.setAttribute(name, text);
      });
    }

    function translateText(node) {
      const parent = node.parentElement;
      if (!parent || !textAllowed(parent) || parent.closest("script,style,textarea")) return;
      const text = lookup(node.data, dict, patterns);
      if (text !== null && text !== node.data) node.data = text;
    }

    function walk(node) {
      if (node.nodeType === Node.TEXT_NODE) {
        translateText(node);
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      translateElement(node);
      const walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
      let current = walker.nextNode();
      while (current) {
        if (current.nodeType === Node.TEXT_NODE) translateText(current);
        else translateElement(current);
        current = walker.nextNode();
      }
    }

    walk(root);
    const observer = new MutationObserver((records) => {
      records.forEach((record) => {
        if (record.type === "characterData") translateText(record.target);
        else if (record.type === "attributes") translateElement(record.target);
        else record.addedNodes.forEach(walk);
      });
    });
    observer.observe(root, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ATTRIBUTES,
    });
    return observer;
  }

  // --- form-js date picker -----------------------------------------------------------------------------
  // flatpickr's own zh locale (flatpickr/dist/l10n/zh.js), written out here because form-js bundles flatpickr
  // inside its UMD file: there is no flatpickr global to register the locale file on. The week starts on
  // Monday, as on a Chinese office calendar.
  const FLATPICKR_ZH = {
    weekdays: {
      shorthand: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      longhand: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    },
    months: {
      shorthand: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      longhand: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    },
    firstDayOfWeek: 1,
    rangeSeparator: " 至 ",
    weekAbbreviation: "周",
    scrollTitle: "滚动切换",
    toggleTitle: "点击切换 12/24 小时时制",
  };

  /**
   * Give each date field's calendar the Chinese locale just before it first opens (form-js opens it on the
   * input's focus or mouse-down; these capture-phase listeners on the form run first).
   */
  function localizeDatePickers(root) {
    function switchLocale(event) {
      const picker = event.target && event.target._flatpickr;
      if (!picker || picker.jiedaoZh) return;
      picker.jiedaoZh = true;
      picker.set({ locale: FLATPICKR_ZH, ariaDateFormat: "Y年n月j日" });
    }
    root.addEventListener("focusin", switchLocale, true);
    root.addEventListener("mousedown", switchLocale, true);
  }

  /** Text nodes inside the editor's form preview are the user's own labels, except the empty states and
   * the select's placeholder (Select), which the preview shows as the viewer does. */
  function editorTextAllowed(element) {
    const field = element.closest(".fjs-form-field");
    return (
      !field ||
      Boolean(
        element.closest(
          ".fjs-empty-component, .fjs-empty-editor, .fjs-context-pad, .fjs-select-placeholder, .fjs-dropdownlist-empty"
        )
      )
    );
  }

  /** In the viewer only the select placeholder and the drop-down's empty message are library text. */
  function viewerTextAllowed(element) {
    return Boolean(element.closest(".fjs-select-placeholder, .fjs-dropdownlist-empty"));
  }

  // diagram-js 15 names a palette entry only in aria-label (translated above): a mouse user hovering an
  // icon saw nothing. Each entry gets the same Chinese text as its tooltip (title) whenever the palette is
  // (re)drawn, as the context pad's entries already have.
  function PaletteTitles(eventBus, canvas) {
    function sync() {
      canvas
        .getContainer()
        .querySelectorAll(".djs-palette .entry[aria-label]")
        .forEach((entry) => entry.setAttribute("title", entry.getAttribute("aria-label")));
    }
    eventBus.on(["palette.create", "palette.changed", "import.done"], sync);
  }
  PaletteTitles.$inject = ["eventBus", "canvas"];

  window.JiedaoZh = {
    bpmnModule: {
      __init__: ["jiedaoPaletteTitles"],
      jiedaoPaletteTitles: ["type", PaletteTitles],
      translate: ["value", bpmnTranslate],
    },
    importError,
    formEditorModule,
    formViewerModule,
    localizeFormEditor(root) {
      return localize(root, FORM_EDITOR_TEXT, { patterns: FORM_EDITOR_PATTERNS, textAllowed: editorTextAllowed });
    },
    localizeFormViewer(root) {
      localizeDatePickers(root);
      return localize(root, FORM_VIEWER_TEXT, { patterns: FORM_VIEWER_PATTERNS, textAllowed: viewerTextAllowed });
    },
  };
})();
