"""The words the county data set is made of: fictitious townships, names and topics."""

from __future__ import annotations

# Made-up townships of a made-up county; the first is the demo's.
TOWNSHIPS = (
    "蟒河镇", "青石镇", "柳湾乡", "白沙镇", "桃源乡", "云岭镇", "松溪乡", "金水镇",
    "石门乡", "枫林镇", "杏坪乡", "芦荡镇",
)  # fmt: skip
# The 站所 every township has; a department is one of these in one township.
OFFICES = ("党政办", "司法所", "派出所", "妇联", "综治办")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红文辉鹏飞斌宇浩凯健俊帆欣怡晨阳佳琳雪梅婷丹慧鑫波宁亮松林峰海云燕春"  # noqa: E501
TOPICS = (
    "宪法", "民法典", "防范电信网络诈骗", "养老诈骗警示教育", "宗教事务条例", "禁毒法",
    "行政处罚法", "信访工作条例", "反有组织犯罪法", "农村常用法律知识", "行政复议法",
    "安全生产法", "未成年人保护法", "土地管理法", "人民调解法", "反家庭暴力法",
)  # fmt: skip
MEETINGS = ("法治工作例会", "矛盾纠纷排查调度会", "综治维稳例会", "普法工作推进会", "安全生产例会")
ONE_OFF = ("法治专题培训", "依法行政能力测试", "以案释法交流会", "普法骨干培训班", "送法下村启动会")
ROOMS = ("三楼会议室", "一楼大会议室", "二楼学习室", "党群服务中心", "司法所调解室")
# (title, month, day, days): the campaign days every township keeps.
CAMPAIGNS = (
    ("3·8 妇女节普法宣传", 3, 8, 1),
    ("4·15 全民国家安全教育日宣传", 4, 15, 1),
    ("6·26 国际禁毒日宣传", 6, 26, 1),
    ("12·4 国家宪法日宣传", 12, 4, 1),
    ("宪法宣传周", 12, 1, 7),
)
# (month, day) of a year's study deadlines, and what is studied.
STUDY_DUE = ((2, 28), (3, 31), (5, 31), (6, 30), (8, 31), (9, 30), (11, 30), (12, 15))
LEAVE_NOTES = ("外出办案", "下村调解", "病假", "参加县里培训", "值班")
